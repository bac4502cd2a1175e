using System.Text.Json;
using System.Text.Json.Serialization;

namespace RnnSweep.Shared.Json;

/// <summary>
/// The one JSON contract of RnnSweep: the HTTP API (bodies in and out), sweep specs (files, the API, the stored
/// <c>sweeps.spec</c>), hyperparameters (written by the Orchestrator, read by Workers), checkpoints' trainer state,
/// bench lines and heartbeats are all written and read with <see cref="Options"/>.
/// </summary>
/// <remarks>
/// ASP.NET Core's web defaults (camelCase names, case-insensitive reading, numbers also read from strings), plus:
/// unknown members are refused, so a misspelt field in a spec or request is named instead of silently ignored;
/// enums are camelCase strings (<c>lstm</c>, <c>earlyStopped</c>); NaN and infinities are written as the strings
/// <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> (a diverged loss, a best validation loss before the first
/// epoch) instead of failing the whole response or checkpoint.
/// </remarks>
public static class JsonContract
{
    /// <summary>The contract's options; frozen (read-only), share them freely.</summary>
    public static readonly JsonSerializerOptions Options = Freeze(Apply(new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    /// <summary>
    /// Files people read (the model export's <c>run-ID.json</c>): the same contract, indented, with non-ASCII
    /// symbols of a vocabulary written as themselves rather than as \u escapes.
    /// </summary>
    public static readonly JsonSerializerOptions ReadableFile = Freeze(new JsonSerializerOptions(Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>
    /// Sets the contract on options someone else owns (ASP.NET Core's <c>JsonOptions</c>, which cannot be replaced,
    /// only configured). Returns <paramref name="target"/>.
    /// </summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions target)
    {
        target.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        target.PropertyNameCaseInsensitive = true;
        target.NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals;
        target.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        if (!target.Converters.Any(c => c is JsonStringEnumConverter)) target.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return target;
    }

    /// <summary>
    /// Reads what a person wrote (a request body, a spec file) with <see cref="Options"/>, refusing an object that
    /// names one member twice (<c>{"name": "a", "name": "b"}</c>): the serializer alone keeps the last one silently.
    /// </summary>
    /// <exception cref="JsonException">Malformed JSON, a duplicated member (its path in <see cref="JsonException.Path"/>
    /// where the reader gives one), an unknown member or a value of the wrong type.</exception>
    public static T? DeserializeInput<T>(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            // Malformed: the serializer's own error names where (models[1]); the document reader's does not.
            return JsonSerializer.Deserialize<T>(utf8.Span, Options);
        }
        using (document)
        {
            RefuseDuplicates(document.RootElement, "$");
            return document.RootElement.Deserialize<T>(Options); // from the parsed document: the text is read once
        }
    }

    /// <summary>
    /// What a <see cref="JsonException"/> from <see cref="DeserializeInput{T}"/> says, for the person who wrote the
    /// JSON: the value expected in words ("true or false", "a list of whole numbers") instead of the .NET type it was
    /// read into, an unknown member without the type that has no such member, and any other error as malformed JSON.
    /// The path is the exception's.
    /// </summary>
    public static string Describe(JsonException e)
    {
        // A lone surrogate (\ud800 without its pair) is valid JSON but no text: "must be a string" would mislead.
        if (e.Message.StartsWith("a member name", StringComparison.Ordinal)) return e.Message;
        if (e.InnerException is InvalidOperationException bytes && bytes.Message.Contains("UTF-8", StringComparison.Ordinal))
        {
            return "is not valid text: its bytes are not UTF-8";
        }
        if (e.InnerException is InvalidOperationException inner && inner.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase))
        {
            return "is not valid text: it holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)";
        }
        var message = e.Message.Split(" Path:")[0];
        var converted = System.Text.RegularExpressions.Regex.Match(message, @"could not be converted to (?<type>\S+?)\.?$");
        if (converted.Success) return $"must be {ExpectedValue(converted.Groups["type"].Value)}";
        var unmapped = System.Text.RegularExpressions.Regex.Match(message, @"^The JSON property '(?<name>[^']*)' could not be mapped to any \.NET member");
        return unmapped.Success ? $"'{unmapped.Groups["name"].Value}' is not a field here" : "malformed JSON: " + message;
    }

    /// <summary>The path of the member a <see cref="JsonException"/> is about (<c>models[1]</c>); null for the whole document.</summary>
    public static string? FieldOf(JsonException e) => string.IsNullOrEmpty(e.Path) || e.Path == "$" ? null : e.Path.TrimStart('$', '.');

    /// <summary>
    /// A value of .NET type <paramref name="type"/> (its full name, as serializer and command-line errors give it) in
    /// the words of the person who wrote it: "a whole number" for System.Int32, "true or false", "a list of numbers".
    /// </summary>
    public static string ExpectedValue(string type)
    {
        var nullable = System.Text.RegularExpressions.Regex.Match(type, @"^System\.Nullable`1\[(?<inner>.+)\]$");
        if (nullable.Success) return ExpectedValue(nullable.Groups["inner"].Value);
        if (type.EndsWith("[]", StringComparison.Ordinal) || type.Contains("List`1", StringComparison.Ordinal))
        {
            var item = ExpectedValue(type.EndsWith("[]", StringComparison.Ordinal) ? type[..^2] : type[(type.IndexOf('[') + 1)..type.LastIndexOf(']')]);
            return "a list of " + (item.StartsWith("a ", StringComparison.Ordinal) ? item[2..] + "s" : item);
        }
        return type switch
        {
            "System.Boolean" => "true or false",
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" or "System.Single" => "a number",
            "System.String" => "a string",
            "System.Text.Json.Nodes.JsonObject" => "an object",
            _ => Resolve(type) switch
            {
                { IsEnum: true } e => "one of " + string.Join(", ", Enum.GetNames(e).Select(JsonNamingPolicy.CamelCase.ConvertName)),
                { IsClass: true } => "an object",
                _ => "another kind of value",
            },
        };
    }

    private static Type? Resolve(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name, throwOnError: false)).FirstOrDefault(t => t is not null);

    // Names are compared ignoring case, as the contract reads them (PropertyNameCaseInsensitive). Every name and
    // string is read here once: one that is no text (a lone UTF-16 surrogate escape) is refused naming where it is,
    // before members kept as raw JSON (hyperparameters, axes) would fail later, far from the request.
    private static void RefuseDuplicates(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    element.GetString();
                }
                catch (InvalidOperationException e)
                {
                    throw new JsonException("The JSON value could not be converted to System.String.", path, null, null, e);
                }
                break;
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = member.Name;
                    }
                    catch (InvalidOperationException e)
                    {
                        throw new JsonException("a member name here is not valid text: it holds a lone UTF-16 surrogate", path, null, null, e);
                    }
                    var memberPath = $"{path}.{name}";
                    if (!seen.Add(name)) throw new JsonException($"'{name}' is given more than once", memberPath, null, null);
                    RefuseDuplicates(member.Value, memberPath);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) RefuseDuplicates(item, $"{path}[{i++}]");
                break;
        }
    }

    private static JsonSerializerOptions Freeze(JsonSerializerOptions options)
    {
        options.TypeInfoResolver ??= new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
