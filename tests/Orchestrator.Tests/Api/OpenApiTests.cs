using System.Text.Json;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c> of a real Orchestrator describes every API response: each success (2xx) response
/// declares its content, and each JSON one has a schema with something in it (an anonymous object or an untyped
/// <c>IResult</c> yields none, or an empty one).
/// </summary>
public sealed class OpenApiTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task EverySuccessResponse_HasASchema()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        using var document = JsonDocument.Parse(await host.Http.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;
        var schemas = root.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var s) ? s : default;

        var operations = new List<string>();
        var problems = new List<string>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                operations.Add(name);
                var successes = operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
                if (successes.Count == 0) problems.Add($"{name}: no 2xx response described");
                foreach (var response in successes)
                {
                    if (!response.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any())
                    {
                        problems.Add($"{name} {response.Name}: no content type or schema (an untyped IResult or anonymous object?)");
                        continue;
                    }
                    foreach (var media in content.EnumerateObject().Where(m => m.Name.Contains("json", StringComparison.Ordinal)))
                    {
                        if (!media.Value.TryGetProperty("schema", out var schema) || !Describes(schema, schemas))
                            problems.Add($"{name} {response.Name} {media.Name}: no schema, or an empty one");
                    }
                }
            }
        }
        Assert.True(problems.Count == 0, "Responses without a schema:\n" + string.Join("\n", problems));
        // Not vacuous: the API's operations are there, binary ones with their own media type.
        foreach (var expected in new[] { "GET /api/sweeps", "POST /api/sweeps", "GET /api/sweeps/{id}", "GET /api/runs/{id}", "GET /api/sweeps/{id}/live",
                     "POST /api/runs/{id}/samples", "GET /api/samples/defaults", "PUT /api/corpora/{name}", "GET /api/runs/{id}/model.pt" })
        {
            Assert.Contains(expected, operations);
        }
        var modelPt = root.GetProperty("paths").GetProperty("/api/runs/{id}/model.pt").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.Equal(["application/octet-stream"], modelPt.EnumerateObject().Select(m => m.Name));
    }

    [Fact]
    public async Task DescribedSampleSettings_AreTheFieldsServed()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        using var document = JsonDocument.Parse(await host.Http.GetStringAsync("/openapi/v1.json"));
        var described = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("SampleSettings")
            .GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToList();
        using var served = JsonDocument.Parse(await host.Http.GetStringAsync("/api/samples/defaults"));
        Assert.Equal(described, served.RootElement.EnumerateObject().Select(p => p.Name).Order().ToList());
        Assert.Equal(500, served.RootElement.GetProperty("length").GetInt32());
    }

    /// <summary>A schema that says something: a reference to a component that has content, a type, or a combination.</summary>
    private static bool Describes(JsonElement schema, JsonElement components)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.EnumerateObject().Any()) return false;
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return components.ValueKind == JsonValueKind.Object && components.TryGetProperty(name, out var target) && Describes(target, components);
        }
        return schema.TryGetProperty("type", out _) || schema.TryGetProperty("properties", out _) || schema.TryGetProperty("items", out _)
               || schema.TryGetProperty("oneOf", out _) || schema.TryGetProperty("anyOf", out _) || schema.TryGetProperty("allOf", out _);
    }
}
