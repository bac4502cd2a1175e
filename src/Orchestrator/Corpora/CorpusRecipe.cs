using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.FileSystemGlobbing;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// How to build a corpus from a source tree or a tarball (<c>.tar</c>, <c>.tar.gz</c>/<c>.tgz</c>, <c>.tar.xz</c>):
/// the regular files whose path matches <see cref="Include"/> and none of <see cref="Exclude"/>, in the ordinal order
/// of their paths (shuffled by <see cref="Seed"/> when given, as the paper concatenated the kernel's files), joined
/// with <see cref="Separator"/>, and cut to the first <see cref="MaxBytes"/> bytes of that order. The same recipe on
/// the same source gives the same bytes; the stored recipe records the source's SHA-256 and the files taken.
/// </summary>
public sealed partial record CorpusRecipe
{
    /// <summary>A folder or tarball on the Orchestrator's machine, or an http(s) URL of a tarball (with <see cref="SourceSha256"/>).</summary>
    public string? Source { get; init; }
    /// <summary>Lowercase hex SHA-256 of the tarball; required for a URL, checked when given for a file.</summary>
    public string? SourceSha256 { get; init; }
    /// <summary>
    /// Globs of the files to take (default: every file). A glob without '/' matches the file name in any folder
    /// (<c>*.c</c>); one with '/' matches the whole path from the root of the folder or archive
    /// (<c>linux-6.1/drivers/**/*.c</c>). <c>*</c> and <c>?</c> stay within a name, <c>**</c> spans folders.
    /// </summary>
    public string[]? Include { get; init; }
    /// <summary>Globs of files to leave out, same rules as <see cref="Include"/>.</summary>
    public string[]? Exclude { get; init; }
    /// <summary>Shuffles the sorted file order with this seed (SplitMix64, Fisher-Yates); absent: sorted by path.</summary>
    public long? Seed { get; init; }
    /// <summary>Written between two files (not after the last); default a newline.</summary>
    public string? Separator { get; init; }
    /// <summary>
    /// Keep only the first this many bytes of the joined files (absent: all). A cut inside a multi-byte character
    /// drops that character, so the corpus stays UTF-8 and may be up to 3 bytes shorter.
    /// </summary>
    public long? MaxBytes { get; init; }

    public const int MaxGlobs = 100;
    public const int MaxGlobLength = 500;
    public const int MaxSeparatorLength = 1000;

    [JsonIgnore] public string SeparatorOrDefault => Separator ?? "\n";

    /// <summary>Every field's problems, named by <paramref name="field"/>'s sub-fields.</summary>
    public List<FieldError> Validate(string field)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(Source)) errors.Add(new($"{field}.source", "is required: a folder, a .tar, .tar.gz or .tar.xz file, or an http(s) URL of one"));
        else if (IsUrl(Source) && SourceSha256 is null) errors.Add(new($"{field}.sourceSha256", "is required with a URL: the SHA-256 the download must have"));
        if (SourceSha256 is not null && !Sha256Pattern().IsMatch(SourceSha256)) errors.Add(new($"{field}.sourceSha256", "must be 64 lowercase hex digits"));
        CheckGlobs(Include, $"{field}.include", errors);
        CheckGlobs(Exclude, $"{field}.exclude", errors);
        if (Separator is { Length: > MaxSeparatorLength }) errors.Add(new($"{field}.separator", $"has {Separator.Length} characters; at most {MaxSeparatorLength}"));
        if (Separator is not null && Separator.Contains('\0')) errors.Add(new($"{field}.separator", "contains a NUL character"));
        if (MaxBytes is <= 0) errors.Add(new($"{field}.maxBytes", $"must be positive or absent, not {MaxBytes}"));
        return errors;
    }

    private static void CheckGlobs(string[]? globs, string field, List<FieldError> errors)
    {
        if (globs is null) return;
        if (globs.Length > MaxGlobs) errors.Add(new(field, $"has {globs.Length} globs; at most {MaxGlobs}"));
        for (var i = 0; i < Math.Min(globs.Length, MaxGlobs); i++)
        {
            var g = globs[i];
            if (string.IsNullOrWhiteSpace(g)) errors.Add(new($"{field}[{i}]", "is empty"));
            else if (g.Length > MaxGlobLength) errors.Add(new($"{field}[{i}]", $"has {g.Length} characters; at most {MaxGlobLength}"));
            else if (g.Contains('\\') || g.Contains('\0')) errors.Add(new($"{field}[{i}]", $"'{g}' contains '\\\\' or NUL: paths use '/'"));
        }
    }

    public static bool IsUrl(string source) =>
        source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a path (relative, '/'-separated) is taken by the include and exclude globs.</summary>
    public Func<string, bool> PathFilter()
    {
        var include = Matcher(Include is { Length: > 0 } i ? i : ["**/*"]);
        var exclude = Exclude is { Length: > 0 } e ? Matcher(e) : null;
        return path => include.Match(path).HasMatches && (exclude is null || !exclude.Match(path).HasMatches);
    }

    private static Matcher Matcher(IEnumerable<string> globs)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            var g = glob.Trim().TrimStart('/');
            matcher.AddInclude(g.Contains('/') ? g : "**/" + g);
        }
        return matcher;
    }

    /// <summary>Splits a comma-separated list of globs as the CLI and the form take them.</summary>
    public static string[]? SplitGlobs(string? list) =>
        list is null ? null : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    [GeneratedRegex(@"^[0-9a-f]{64}\z")] // \z: '$' would also take a final line break
    private static partial Regex Sha256Pattern();
}
