using System.Text.Json;
using RnnSweep.Orchestrator.Sweeps;
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

    public static IResult NotFound(string field, string message) =>
        Results.Problem(statusCode: 404, title: message, extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    /// <summary>Reads a JSON body; malformed JSON or unknown fields become a validation error naming the path.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new ValidationException("body", "must be JSON (Content-Type: application/json)");
        }
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, SpecResolver.Json, ct)
                   ?? throw new ValidationException("body", "must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            throw new ValidationException(path, "malformed JSON: " + e.Message.Split(" Path:")[0]);
        }
    }
}
