using Microsoft.OpenApi;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// Describes in <c>/openapi/v1.json</c> a query parameter that a handler parses by hand (<see cref="ApiErrors.QueryInt"/>
/// and the like, so its errors name it) rather than binds: the framework sees no parameter and would list none.
/// </summary>
public static class QueryParameterDocs
{
    /// <summary>Adds an optional query parameter <paramref name="name"/> of <paramref name="type"/> (integer, number or string).</summary>
    public static RouteHandlerBuilder DescribesQuery(this RouteHandlerBuilder builder, string name, JsonSchemaType type, string description, string? format = null) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Query,
                Required = false,
                Description = description,
                Schema = new OpenApiSchema { Type = type, Format = format },
            });
            return Task.CompletedTask;
        });
}
