using System.Globalization;
using System.Text.Json;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c> of a real Orchestrator describes every API response: each operation has a success (2xx)
/// response with content, every JSON response (errors included) has a schema with something in it (an anonymous
/// object or an untyped <c>IResult</c> yields none, or an empty one), the error responses each handler gives are
/// listed (a <c>ProblemHttpResult</c> inside <c>Results&lt;...&gt;</c> adds nothing by itself), and the bodies read by
/// hand are described.
/// </summary>
public sealed class OpenApiTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    /// <summary>
    /// The error statuses each operation can give, beyond the 404 of every <c>{id}</c> path (no such sweep, run or
    /// sample): 400 where input is validated (ApiErrors), 413 where a body is bounded.
    /// </summary>
    private static readonly Dictionary<string, int[]> Errors = new()
    {
        ["POST /api/sweeps"] = [400, 413],
        ["POST /api/sweeps/{id}/resume"] = [400],
        ["GET /api/sweeps/{id}/loss-table"] = [400],
        ["GET /api/sweeps/{id}/live"] = [400],
        ["POST /api/runs/{id}/resume"] = [400],
        ["POST /api/runs/{id}/samples"] = [400, 413],
        ["GET /api/runs/{id}/model.pt"] = [400],
        ["GET /api/runs/{id}/model.json"] = [400],
        ["PUT /api/corpora/{name}"] = [400, 413],
    };

    /// <summary>The JSON bodies read by hand rather than bound, and the component each must reference.</summary>
    private static readonly Dictionary<string, string> Bodies = new()
    {
        ["POST /api/sweeps"] = "SweepSpec",
        ["POST /api/runs/{id}/samples"] = "SampleSettings",
    };

    /// <summary>The query parameters parsed by hand rather than bound (so the framework lists none by itself).</summary>
    private static readonly Dictionary<string, string> Queries = new()
    {
        ["POST /api/sweeps/{id}/resume"] = "maxEpochs",
        ["POST /api/runs/{id}/resume"] = "maxEpochs",
        ["POST /api/runs/{id}/samples"] = "wait",
        ["GET /api/sweeps/{id}/live"] = "since",
    };

    [Fact]
    public async Task EveryResponse_HasASchema_AndEveryErrorAndBodyIsDescribed()
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
                var responses = operation.Value.GetProperty("responses").EnumerateObject().ToList();
                if (!responses.Any(r => r.Name.StartsWith('2'))) problems.Add($"{name}: no 2xx response described");
                foreach (var response in responses)
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

                var expected = (Errors.TryGetValue(name, out var listed) ? listed : []).Concat(path.Name.Contains("{id}", StringComparison.Ordinal) ? [404] : []);
                foreach (var status in expected)
                {
                    var response = responses.FirstOrDefault(r => r.Name == status.ToString(CultureInfo.InvariantCulture));
                    if (response.Value.ValueKind != JsonValueKind.Object || !response.Value.TryGetProperty("content", out var content)
                        || !content.TryGetProperty("application/problem+json", out var problem) || !problem.TryGetProperty("schema", out _))
                        problems.Add($"{name}: its {status} (a problem) is not described; declare ProducesProblem/ProducesValidationProblem");
                }
                if (Queries.TryGetValue(name, out var query)
                    && !(operation.Value.TryGetProperty("parameters", out var parameters) && parameters.EnumerateArray().Any(p =>
                        p.GetProperty("name").GetString() == query && p.GetProperty("in").GetString() == "query" && p.TryGetProperty("schema", out var ps) && Describes(ps, schemas))))
                    problems.Add($"{name}: its query parameter {query} is not described");
                if (Bodies.TryGetValue(name, out var component))
                {
                    var body = operation.Value.TryGetProperty("requestBody", out var b) && b.TryGetProperty("content", out var c)
                        && c.TryGetProperty("application/json", out var json) && json.TryGetProperty("schema", out var bodySchema) ? bodySchema : default;
                    if (body.ValueKind != JsonValueKind.Object || !Describes(body, schemas)
                        || !(body.TryGetProperty("$ref", out var r) && r.GetString()!.EndsWith("/" + component, StringComparison.Ordinal)))
                        problems.Add($"{name}: its JSON request body is not described as {component}");
                }
            }
        }
        Assert.True(problems.Count == 0, "Undescribed responses or bodies:\n" + string.Join("\n", problems));
        // Not vacuous: the API's operations are there, binary ones with their own media type.
        foreach (var expected in new[] { "GET /api/sweeps", "POST /api/sweeps", "GET /api/sweeps/{id}", "GET /api/runs/{id}", "GET /api/sweeps/{id}/live",
                     "POST /api/runs/{id}/samples", "GET /api/samples/defaults", "PUT /api/corpora/{name}", "GET /api/runs/{id}/model.pt" })
        {
            Assert.Contains(expected, operations);
        }
        Assert.All(Errors.Keys.Concat(Bodies.Keys).Concat(Queries.Keys), listed => Assert.Contains(listed, operations)); // the tables name real operations
        Assert.True(operations.Count(o => o.Contains("{id}", StringComparison.Ordinal)) >= 15, string.Join(", ", operations));
        var modelPt = root.GetProperty("paths").GetProperty("/api/runs/{id}/model.pt").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.Equal(["application/octet-stream"], modelPt.EnumerateObject().Select(m => m.Name));
        // The sweep spec described is the one read: its grid fields are there.
        var spec = schemas.GetProperty("SweepSpec").GetProperty("properties");
        Assert.All(new[] { "name", "corpus", "models", "layers", "hiddenSizes", "hyperparameters" }, field => Assert.True(spec.TryGetProperty(field, out _), field));
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
