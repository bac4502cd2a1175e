using System.Text.Json;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// Every bad input becomes a 4xx problem response whose <c>errors</c> object names each offending field,
/// before anything is written.
/// </summary>
public sealed class ApiErrors : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ValidationException e)
        {
            return Invalid(e.Errors);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: 413, title: "The request body is too large", detail: e.Message);
        }
    }

    public static IResult Invalid(IEnumerable<FieldError> errors) => Results.ValidationProblem(
        errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
        title: "The request is invalid");

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string field, string message) =>
        TypedResults.Problem(statusCode: 404, title: message, extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    /// <summary>
    /// A query parameter parsed by hand rather than bound by the framework, whose binding failure is a 400 with an
    /// empty body: null when absent, a <see cref="ValidationException"/> naming it when malformed or out of range.
    /// </summary>
    public static int? QueryInt(HttpRequest request, string name, int min, int max)
    {
        if (!request.Query.TryGetValue(name, out var values)) return null;
        var text = values.ToString();
        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
            throw new ValidationException(name, $"must be a whole number between {min} and {max}, not '{text}'");
        if (value < min || value > max) throw new ValidationException(name, $"must be between {min} and {max}, not {value}");
        return value;
    }

    /// <inheritdoc cref="QueryInt"/>
    public static double? QueryDouble(HttpRequest request, string name, double min, double max)
    {
        if (!request.Query.TryGetValue(name, out var values)) return null;
        var text = values.ToString();
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new ValidationException(name, $"must be a number between {min} and {max}, not '{text}'");
        if (value < min || value > max) throw new ValidationException(name, $"must be between {min} and {max}, not {value}");
        return value;
    }

    /// <inheritdoc cref="QueryInt"/>
    public static DateTimeOffset? QueryTime(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var values)) return null;
        var text = values.ToString();
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value.ToUniversalTime() // PostgreSQL's timestamptz takes UTC only (Npgsql refuses other offsets)
            : throw new ValidationException(name, $"must be an ISO 8601 time such as 2026-01-31T12:00:00Z, not '{text}'");
    }

    /// <summary>Reads a JSON body; malformed JSON or unknown fields become a validation error naming the path.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new ValidationException("body", "must be JSON (Content-Type: application/json)");
        }
        try
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, ct); // bounded by the server's request body limit (a 413 below)
            return Shared.Json.JsonContract.DeserializeInput<T>(body.GetBuffer().AsMemory(0, (int)body.Length))
                   ?? throw new ValidationException("body", "must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw new ValidationException(Shared.Json.JsonContract.FieldOf(e) ?? "body", Shared.Json.JsonContract.Describe(e));
        }
    }
}
