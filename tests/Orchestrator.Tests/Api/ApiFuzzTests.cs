using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// Property-based fuzzing (CsCheck) of every endpoint of the API and both dashboards: generated JSON (valid specs and
/// sample requests with fields replaced by odd values, and arbitrary JSON), query strings, form posts, raw bytes and
/// headers. The properties: no answer is a 5xx, and an answer of 4xx leaves every table's row count unchanged.
/// Bounded in the suite (<see cref="DefaultIterations"/> requests); a longer run:
/// <c>RNNSWEEP_FUZZ_ITERATIONS=20000 ./rnnsweep test --filter FullyQualifiedName~ApiFuzzTests</c>
/// (<c>RNNSWEEP_FUZZ_SEED</c> replays a failure CsCheck reported).
/// </summary>
[Collection(DatabaseCollection.Name)]
// Slow: hundreds of generated requests (about 2 minutes under load).
[Trait("Category", "Slow")]
public sealed class ApiFuzzTests(PostgresFixture postgres, ITestOutputHelper output)
{
    public const int DefaultIterations = 300;

    [Fact]
    public async Task NoRequest_Answers5xx_AndRefusedOnesStoreNothing()
    {
        // No reaper pass during the test: it would give the synthetic sweep's queued run and baseline their first jobs
        // between the two row counts, which are to show that a refused request stores nothing.
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Corpora:MaxBytes=200000", "--Reaper:Interval=01:00:00");
        var sweep = await SyntheticSweep.CreateAsync(host.ConnectionString, "fuzzed", "synthetic", ["lstm", "gru"], [1], [8]);
        long run;
        await using (var conn = new NpgsqlConnection(host.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
                select min(id), @kind, 1, 1.0, '\x00', '\x00', '{}', now() from runs where sweep_id = @sweep returning run_id
                """, conn);
            cmd.Parameters.AddWithValue("sweep", sweep);
            cmd.Parameters.AddWithValue("kind", CheckpointKind.Best);
            run = (long)(await cmd.ExecuteScalarAsync())!;
        }

        var iterations = long.TryParse(Environment.GetEnvironmentVariable("RNNSWEEP_FUZZ_ITERATIONS"), out var n) ? n : DefaultIterations;
        var seed = Environment.GetEnvironmentVariable("RNNSWEEP_FUZZ_SEED");
        var statuses = new Dictionary<int, int>();
        await FuzzRequest.Requests(sweep, run).SampleAsync(async request =>
        {
            var before = await CountsAsync(host.ConnectionString);
            using var message = request.ToMessage();
            using var response = await host.Http.SendAsync(message);
            var status = (int)response.StatusCode;
            lock (statuses) statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"{status} for {request}: {body}");
            if (status >= 400)
            {
                Assert.Equal(before, await CountsAsync(host.ConnectionString));
            }
        }, iter: iterations, threads: 1, seed: seed, writeLine: output.WriteLine);
        output.WriteLine("answers by status: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.Keys.Any(s => s is >= 200 and < 300) && statuses.ContainsKey(400), "the generators reach both accepted and refused requests");
    }

    private static async Task<Dictionary<string, long>> CountsAsync(string connectionString)
    {
        var counts = await RowCounts.ReadAsync(connectionString);
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select (select count(*) from samples), (select count(*) from corpus_names)", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        counts["samples"] = reader.GetInt64(0);
        counts["corpus_names"] = reader.GetInt64(1);
        return counts;
    }
}

/// <summary>One generated request; printed in full when the property fails.</summary>
public sealed record FuzzRequest(string Method, string Path, string? ContentType, byte[]? Body, IReadOnlyList<(string Name, string Value)> Headers)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is { Length: > 0 } type) message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var (name, value) in Headers) message.Headers.TryAddWithoutValidation(name, value);
        return message;
    }

    public override string ToString() =>
        $"{Method} {Path} [{ContentType}] headers: {string.Join("; ", Headers.Select(h => $"{h.Name}={h.Value}"))} body: " +
        (Body is null ? "(none)" : Body.Length > 600 ? Encoding.UTF8.GetString(Body, 0, 600) + "..." : Encoding.UTF8.GetString(Body));

    private static readonly string CorpusText = GeneratedText.Sentences(3_000, seed: 9);

    /// <summary>Strings that have broken parsers before, and generated ones (any UTF-16 unit: NUL, unpaired surrogates).</summary>
    private static readonly Gen<string> OddString = Gen.Frequency<string>(
        (3, Gen.OneOf("", " ", "Infinity", "-Infinity", "NaN", "null", "true", "\0", "a\0b", "\ud800", "\udc00x", "😀", "lstm", "gru", "rnn",
            "LSTM", " lstm ", "adam", "rmsprop", "streams", "contiguous", "bytes", "chars", "onehot", "embedding", "greedy", "topk", "multinomial",
            "quick", "paper", "seed", "tinyshakespeare", "synthetic", "../../etc/passwd", ".hidden", "<script>alert(1)</script>", "'; drop table runs; --",
            "1e309", "-0", "18446744073709551616", "9223372036854775808", "2026-11-30T00:00:00Z", "0001-01-01T00:00:00Z", "%00", "%FF", "cpu", "gpu",
            new string('x', 5_000), "é€", "\r\n", "\t")),
        (2, Gen.Char[(char)0, (char)0xFFFF].Array[0, 24].Select(c => new string(c))),
        (1, Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 12].Select(c => new string(c))));

    /// <summary>JSON number literals, including those beyond double and long.</summary>
    private static readonly Gen<string> OddNumber = Gen.Frequency<string>(
        (3, Gen.OneOf("0", "-0", "1", "-1", "0.5", "2", "8", "64", "1e-300", "1e308", "1e309", "-1e309", "1e400", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "2147483647", "2147483648", "1000000000000000000", "0.0000001", "3.5", "100000", "1.0e2")),
        (2, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Long.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))));

    private static Gen<string> JsonValue(int depth)
    {
        var leaf = Gen.Frequency<string>(
            (1, Gen.OneOf("null", "true", "false")),
            (3, OddNumber),
            (3, OddString.Select(s => JsonSerializer.Serialize(s))));
        if (depth == 0) return leaf;
        var inner = JsonValue(depth - 1);
        return Gen.Frequency<string>(
            (5, leaf),
            (1, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(FieldName, inner).Array[0, 4].Select(members => "{" + string.Join(",", members.Select(m => JsonSerializer.Serialize(m.Item1) + ":" + m.Item2)) + "}")));
    }

    private static readonly string[] SpecFields = ["name", "preset", "corpus", "corpusText", "models", "layers", "hiddenSizes", "hyperparameters", "matchParameters", "matchLayers", "queue"];
    private static readonly string[] HyperparameterFields =
    [
        "optimizer", "learningRate", "rmspropAlpha", "lrDecay", "lrDecayStart", "lrDecayEvery", "gradClip", "gradClipMode", "dropout", "seqLength",
        "batchSize", "carryState", "input", "vocabulary", "maxEpochs", "epochChars", "patience", "minImprovement", "divergenceFactor",
        "divergenceRetries", "splitLayout", "trainFraction", "valFraction", "testFraction", "seed",
    ];
    private static readonly string[] SampleFields = ["method", "temperature", "topK", "primeText", "seed", "length", "count"];

    private static readonly Gen<string> FieldName = Gen.Frequency<string>(
        (4, Gen.OneOf([.. SpecFields, .. HyperparameterFields, .. SampleFields])),
        (1, OddString));

    /// <summary>A field's new value: a value of the right shape, an odd one, or the field removed (null here).</summary>
    private static Gen<string?> Replacement(string field) => Gen.Frequency<string?>(
        (1, Gen.Const<string?>((string?)null)),
        (4, JsonValue(field is "hyperparameters" or "models" or "layers" or "hiddenSizes" ? 2 : 1).Select(v => (string?)v)),
        (2, (field is "models" ? OddString.Select(s => JsonSerializer.Serialize(s)).Array[0, 5]
            : OddNumber.Array[0, 5]).Select(items => (string?)("[" + string.Join(",", items) + "]"))));

    /// <summary>A valid object with one to three of its fields (or nested hyperparameters) replaced.</summary>
    private static Gen<string> Mutated(Dictionary<string, string> valid, string[] fields) =>
        Gen.Select(Gen.OneOf(fields), Gen.Int[0, 2]).SelectMany(pick => Replacement(pick.Item1).Select(value => (field: pick.Item1, value)))
            .Array[1, 3].Select(changes =>
            {
                var result = new Dictionary<string, string>(valid);
                var hyperparameters = new Dictionary<string, string> { ["maxEpochs"] = "1", ["seqLength"] = "8", ["batchSize"] = "4" };
                foreach (var (field, value) in changes)
                {
                    var target = HyperparameterFields.Contains(field) && valid.ContainsKey("hyperparameters") ? hyperparameters : result;
                    if (value is null) target.Remove(field); else target[field] = value;
                }
                if (valid.ContainsKey("hyperparameters") && !changes.Any(c => c.field == "hyperparameters"))
                {
                    result["hyperparameters"] = "{" + string.Join(",", hyperparameters.Select(h => $"\"{h.Key}\":{h.Value}")) + "}";
                }
                return "{" + string.Join(",", result.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
            });

    private static readonly Dictionary<string, string> ValidSpec = new()
    {
        ["name"] = "\"fuzz\"", ["corpus"] = "\"fuzz-corpus\"", ["corpusText"] = JsonSerializer.Serialize(CorpusText),
        ["models"] = "[\"lstm\"]", ["layers"] = "[1]", ["hiddenSizes"] = "[8]", ["hyperparameters"] = "{}",
    };

    private static readonly Dictionary<string, string> ValidSample = new()
    {
        ["method"] = "\"greedy\"", ["length"] = "10", ["primeText"] = "\"synthetic \"", ["temperature"] = "1", ["topK"] = "3", ["seed"] = "1", ["count"] = "2",
    };

    private static Gen<byte[]> Bodies(string path) => Gen.Frequency<byte[]>(
        (path.EndsWith("/api/sweeps", StringComparison.Ordinal) ? 8 : 1, Mutated(ValidSpec, [.. SpecFields, .. HyperparameterFields]).Select(Encoding.UTF8.GetBytes)),
        (path.Contains("/samples", StringComparison.Ordinal) ? 8 : 1, Mutated(ValidSample, SampleFields).Select(Encoding.UTF8.GetBytes)),
        (2, JsonValue(3).Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 64]),
        (1, Gen.Select(OddString, OddString).Array[0, 4].Select(pairs => Encoding.UTF8.GetBytes(string.Join("&", pairs.Select(p => Escape(p.Item1) + "=" + Escape(p.Item2)))))),
        (1, Gen.Const(Encoding.UTF8.GetBytes(CorpusText))));

    private static readonly Gen<string> ContentTypes = Gen.OneOf("application/json", "application/json; charset=utf-8", "text/plain", "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=latin1", "application/jsonx", "*/*", "garbage");

    private static Gen<string> Id(long valid) => Gen.Frequency<string>(
        (6, Gen.Const(valid.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.OneOf("0", "-1", "1", "9223372036854775807", "99999999999999999999", "abc", "1.5", "%00", "..", "%2e%2e", "1e3")),
        (1, Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture))));

    private static readonly Gen<string> QueryKey = Gen.Frequency<string>(
        (3, Gen.OneOf("maxEpochs", "since", "epochs", "id", "format", "wait")),
        (1, OddString));

    /// <summary>Percent-encodes UTF-8 bytes, unpaired surrogates as the bytes of U+FFFD; raw %XX sequences may also be invalid UTF-8.</summary>
    private static string Escape(string text) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(b => char.IsAsciiLetterOrDigit((char)b) ? ((char)b).ToString() : $"%{b:X2}"));

    private static Gen<string> Query() => Gen.Select(QueryKey, Gen.Frequency<string>((3, OddString.Select(Escape)), (2, OddNumber), (1, Gen.OneOf("%FF%FE", "%", "%zz"))))
        .Array[0, 3].Select(pairs => pairs.Length == 0 ? "" : "?" + string.Join("&", pairs.Select(p => (p.Item1 == "wait" ? "wait" : Escape(p.Item1)) + "=" + p.Item2)));

    private static readonly Gen<(string Name, string Value)> Header = Gen.Frequency<(string Name, string Value)>(
        (3, Gen.Char[' ', '~'].Array[0, 300].Select(c => ("Idempotency-Key", new string(c)))),
        (1, Gen.OneOf(("Accept", "text/html"), ("Accept", "*/*"), ("Accept-Encoding", "gzip"), ("X-Forwarded-For", "203.0.113.9"),
            ("X-Forwarded-For", "garbage"), ("X-Forwarded-Proto", "https"), ("Origin", "http://evil.example"), ("Origin", "null"),
            ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-origin"), ("Authorization", "Basic !!!"), ("Authorization", "Basic Og=="),
            ("RequestVerificationToken", "forged"), ("Cookie", ".AspNetCore.Antiforgery.x=forged"), ("Range", "bytes=-1"), ("If-None-Match", "*"))));

    public static Gen<FuzzRequest> Requests(long sweep, long run)
    {
        (string Method, string Path)[] endpoints =
        [
            ("POST", "/api/sweeps"), ("POST", "/api/sweeps"), ("POST", "/api/runs/{run}/samples"), ("POST", "/api/runs/{run}/samples"),
            ("PUT", "/api/corpora/{name}"), ("POST", "/api/sweeps/{sweep}/cancel"), ("POST", "/api/sweeps/{sweep}/resume"),
            ("POST", "/api/runs/{run}/cancel"), ("POST", "/api/runs/{run}/resume"),
            ("GET", "/api/sweeps"), ("GET", "/api/sweeps/{sweep}"), ("GET", "/api/sweeps/{sweep}/loss-table"), ("GET", "/api/sweeps/{sweep}/live"),
            ("GET", "/api/sweeps/{sweep}/ngram"), ("GET", "/api/runs/{run}"), ("GET", "/api/runs/{run}/epochs"), ("GET", "/api/runs/{run}/saturation"),
            ("GET", "/api/runs/{run}/cells"), ("GET", "/api/runs/{run}/interpretable-cells"), ("GET", "/api/runs/{run}/samples"), ("GET", "/api/samples/{run}"),
            ("GET", "/api/corpora"), ("GET", "/"), ("GET", "/sweeps/new"), ("GET", "/sweeps/{sweep}"), ("GET", "/runs/{run}"),
            ("GET", "/runs/{run}/curves.svg"), ("GET", "/runs/{run}/saturation.svg"), ("GET", "/runs/{run}/saturation.png"), ("GET", "/assets/{name}"),
            ("GET", "/openapi/v1.json"), ("GET", "/hangfire"), ("GET", "/hangfire/jobs/enqueued"), ("POST", "/hangfire/stats"),
            ("POST", "/hangfire/jobs/enqueued/delete"), ("POST", "/hangfire/jobs/enqueued/requeue"), ("DELETE", "/api/sweeps/{sweep}"),
            ("PATCH", "/api/runs/{run}"), ("POST", "/api/corpora"), ("GET", "/healthz"),
        ];
        return Gen.OneOf(endpoints).SelectMany(endpoint =>
            Gen.Select(Id(sweep), Id(run), Gen.Frequency<string>((3, Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 20].Select(c => new string(c))), (1, OddString.Select(Escape))))
                .SelectMany(ids => Gen.Select(Query(), ContentTypes, Gen.Frequency<byte[]?>((1, Gen.Const<byte[]?>((byte[]?)null)), (6, Bodies(endpoint.Path).Select(b => (byte[]?)b))), Header.Array[0, 3]).Select(rest =>
                {
                    var path = endpoint.Path.Replace("{sweep}", ids.Item1).Replace("{run}", ids.Item2).Replace("{name}", ids.Item3) + rest.Item1;
                    // a sample request that passes waits for a Worker (60 s by default): none runs here
                    if (endpoint.Path.EndsWith("/samples", StringComparison.Ordinal) && !path.Contains("wait=", StringComparison.Ordinal))
                        path += (path.Contains('?') ? "&" : "?") + "wait=0";
                    if (path.Contains("wait=", StringComparison.Ordinal)) path = System.Text.RegularExpressions.Regex.Replace(path, "wait=([0-9.eE+]+)", m => double.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var w) && w > 1 ? "wait=0" : m.Value);
                    return new FuzzRequest(endpoint.Method, path, endpoint.Method is "GET" ? null : rest.Item2, endpoint.Method is "GET" ? null : rest.Item3, rest.Item4);
                })));
    }
}
