using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// The inputs that answered 500, an empty 400, or were stored and failed later, each answered 400 with the field named
/// and nothing stored; corpora keep every name; the same grid in another order, or as an older version stored it, is
/// the same sweep.
/// </summary>
/// <remarks>
/// One Orchestrator for the class (<see cref="SweepWithARun"/>): the tests that expect nothing stored compare the
/// row counts before and after their own request, and the tests that store something use names of their own.
/// </remarks>
public sealed class MalformedRequestTests(MalformedRequestTests.SweepWithARun fixture) : IClassFixture<MalformedRequestTests.SweepWithARun>
{
    private readonly OrchestratorHost _host = fixture.Host;
    private readonly long _sweep = fixture.Sweep;
    private readonly long _run = fixture.Run;

    /// <summary>The class's Orchestrator over a database of its own, holding a synthetic sweep whose run has a best checkpoint.</summary>
    public sealed class SweepWithARun : IAsyncLifetime
    {
        private readonly PostgresFixture _postgres = new(); // a handle on the one server

        public OrchestratorHost Host { get; private set; } = null!;
        public long Sweep { get; private set; }
        public long Run { get; private set; }

        /// <summary>The synthetic sweep's corpus is "synthetic corpus text\n": its vocabulary has no 'z', 'é' or '€'.</summary>
        public async Task InitializeAsync()
        {
            await _postgres.InitializeAsync();
            // No reaper pass during the tests: it would give the synthetic sweep's queued run and baseline their first jobs
            // between the two row counts, which are to show that a refused request stores nothing.
            Host = await OrchestratorHost.StartAsync(await _postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
            Sweep = await SyntheticSweep.CreateAsync(Host.ConnectionString, "malformed", "synthetic", ["lstm"], [1], [8]);
            await using var conn = new NpgsqlConnection(Host.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
                select id, @kind, 1, 1.0, '\x00', '\x00', '{}', now() from runs where sweep_id = @sweep returning run_id
                """, conn);
            cmd.Parameters.AddWithValue("sweep", Sweep);
            cmd.Parameters.AddWithValue("kind", CheckpointKind.Best);
            Run = (long)(await cmd.ExecuteScalarAsync())!;
        }

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private static readonly string Text = GeneratedText.Sentences(5_000);

    private static string Spec(Action<Dictionary<string, object?>>? hp = null, Action<Dictionary<string, object?>>? change = null)
    {
        var hyperparameters = new Dictionary<string, object?> { ["maxEpochs"] = 1, ["seqLength"] = 8, ["batchSize"] = 4 };
        hp?.Invoke(hyperparameters);
        var spec = new Dictionary<string, object?>
        {
            ["name"] = "malformed", ["corpus"] = "generated", ["corpusText"] = Text,
            ["models"] = new[] { "lstm" }, ["layers"] = new[] { 1 }, ["hiddenSizes"] = new[] { 8 }, ["hyperparameters"] = hyperparameters,
        };
        change?.Invoke(spec);
        return JsonSerializer.Serialize(spec);
    }

    private static string Sample(string fields) => "{\"method\": \"greedy\", \"length\": 10" + (fields.Length > 0 ? ", " + fields : "") + "}";

    /// <summary>method, path (with {sweep} and {run}), JSON body or null, the field the 400 must name.</summary>
    public static TheoryData<string, string, string?, string> Cases() => new()
    {
        // hyperparameters that accepted infinity or NaN (as a JSON string, or a number beyond double)
        { "POST", "/api/sweeps", Spec(h => h["minImprovement"] = "Infinity"), "hyperparameters.minImprovement" },
        { "POST", "/api/sweeps", Spec(h => h["minImprovement"] = "NaN"), "hyperparameters.minImprovement" },
        { "POST", "/api/sweeps", Spec(h => h["divergenceFactor"] = "Infinity"), "hyperparameters.divergenceFactor" },
        { "POST", "/api/sweeps", Spec(h => h["learningRate"] = "-Infinity"), "hyperparameters.learningRate" },
        { "POST", "/api/sweeps", Spec(h => h["gradClip"] = "Infinity"), "hyperparameters.gradClip" },
        { "POST", "/api/sweeps", Spec(h => h["dropout"] = "NaN"), "hyperparameters.dropout" },
        { "POST", "/api/sweeps", Spec(h => h["lrDecay"] = "NaN"), "hyperparameters.lrDecay" },
        { "POST", "/api/sweeps", Spec(h => h["rmspropAlpha"] = "Infinity"), "hyperparameters.rmspropAlpha" },
        { "POST", "/api/sweeps", Spec(h => h["trainFraction"] = "NaN"), "hyperparameters.trainFraction" },
        { "POST", "/api/sweeps", Spec().Replace("\"maxEpochs\":1", "\"maxEpochs\":1,\"minImprovement\":1e400", StringComparison.Ordinal), "hyperparameters.minImprovement" },
        // sizes beyond their bounds
        { "POST", "/api/sweeps", Spec(h => h["epochChars"] = 1_000_000_000_000_000_000L), "hyperparameters.epochChars" },
        { "POST", "/api/sweeps", Spec(h => h["patience"] = int.MaxValue), "hyperparameters.patience" },
        { "POST", "/api/sweeps", Spec(h => h["lrDecayStart"] = int.MaxValue), "hyperparameters.lrDecayStart" },
        { "POST", "/api/sweeps", Spec(change: s => s["models"] = new[] { "lstm", "lstm", "gru", "rnn" }), "models" },
        { "POST", "/api/sweeps", Spec(change: s => s["hiddenSizes"] = Enumerable.Range(1, 65).ToArray()), "hiddenSizes" },
        { "POST", "/api/sweeps", Spec(change: s => s["layers"] = Enumerable.Repeat(1, 9).ToArray()), "layers" },
        { "POST", "/api/sweeps", Spec(change: s => s["models"] = new string?[] { null }), "models[0]" },
        // a field given twice (a JsonObject holding a duplicate threw when read: a 500 found by the fuzz test)
        { "POST", "/api/sweeps", Spec().Replace("\"maxEpochs\":1", "\"maxEpochs\":1,\"maxEpochs\":2", StringComparison.Ordinal), "hyperparameters.maxEpochs" },
        // ... anywhere in a body, names compared as they are read (ignoring case): the last one used to win silently
        { "POST", "/api/sweeps", Spec().Replace("\"name\":\"malformed\"", "\"name\":\"malformed\",\"name\":\"other\"", StringComparison.Ordinal), "name" },
        { "POST", "/api/sweeps", Spec().Replace("\"name\":\"malformed\"", "\"name\":\"malformed\",\"Name\":\"other\"", StringComparison.Ordinal), "Name" },
        { "POST", "/api/runs/{run}/samples", "{\"method\": \"greedy\", \"length\": 10, \"length\": 20}", "length" },
        // inline text under the name of one of RnnSweep's corpora: it would become what every later sweep on that name trains on
        { "POST", "/api/sweeps", Spec(change: s => s["corpus"] = "warandpeace-paper"), "corpus" },
        { "POST", "/api/sweeps", Spec(change: s => s["corpus"] = "TinyShakespeare"), "corpus" },
        // values with a line break at the end, which a pattern's '$' let through (a sweep named 'malformed\n', a queue
        // 'cpu\n' no Worker listens on); the sweep's corpus name was trimmed, and stays refused
        { "POST", "/api/sweeps", Spec(change: s => s["corpus"] = "tinyshakespeare\n"), "corpus" },
        { "POST", "/api/sweeps", Spec(change: s => s["name"] = "malformed\n"), "name" },
        { "POST", "/api/sweeps", Spec(change: s => s["queue"] = "cpu\n"), "queue" },
        { "POST", "/api/sweeps", Spec(change: s => { s.Remove("corpusText"); s["corpusRecipe"] = new Dictionary<string, object?> { ["source"] = "https://example.invalid/src.tar.gz", ["sourceSha256"] = new string('a', 64) + "\n" }; }), "corpusRecipe.sourceSha256" },
        // a queue named as another queue's priority queue: its training jobs would go before that queue's short jobs
        { "POST", "/api/sweeps", Spec(change: s => s["queue"] = "0-cpu"), "queue" },
        { "POST", "/api/sweeps", Spec(change: s => s["queue"] = "0"), "queue" }, // a digit first: '0-0' would sort after it

        // sample requests
        { "POST", "/api/runs/{run}/samples", Sample("\"primeText\": null"), "primeText" },
        { "POST", "/api/runs/{run}/samples", Sample("\"primeText\": \"syn\\u0000\""), "primeText" },
        { "POST", "/api/runs/{run}/samples", Sample("\"primeText\": \"\\ud800\""), "primeText" },
        { "POST", "/api/runs/{run}/samples", Sample("\"primeText\": \"synthetic zz\""), "primeText" }, // 'z' is not in the corpus
        { "POST", "/api/runs/{run}/samples", Sample("\"primeText\": \"caf\u00e9 \u20ac\""), "primeText" },
        { "POST", "/api/runs/{run}/samples", "{\"method\": null}", "method" },
        { "POST", "/api/runs/{run}/samples", Sample("\"temperature\": \"Infinity\""), "temperature" },
        { "POST", "/api/runs/{run}/samples", Sample("\"temperature\": \"NaN\""), "temperature" },
        { "POST", "/api/runs/{run}/samples", "{\"length\": 1000000000}", "length" },
        { "POST", "/api/runs/{run}/samples?wait=abc", Sample(""), "wait" },
        { "POST", "/api/runs/{run}/samples?wait=1e9", Sample(""), "wait" },
        // query strings that answered 400 with an empty body
        { "POST", "/api/sweeps/{sweep}/resume?maxEpochs=abc", null, "maxEpochs" },
        { "POST", "/api/sweeps/{sweep}/resume?maxEpochs=0", null, "maxEpochs" },
        { "POST", "/api/sweeps/{sweep}/resume?maxEpochs=99999999999", null, "maxEpochs" },
        { "POST", "/api/runs/{run}/resume?maxEpochs=abc", null, "maxEpochs" },
        { "GET", "/api/sweeps/{sweep}/live?since=garbage", null, "since" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Answers400NamingTheField_AndStoresNothing(string method, string path, string? body, string field)
    {
        var before = await CountsAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{sweep}", $"{_sweep}").Replace("{run}", $"{_run}"));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"expected '{field}' in {text}");
        Assert.NotEmpty(messages[0].GetString()!);
        Assert.Equal(before, await CountsAsync());
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2026-11-30T01:00:00%2B02:00")]
    public async Task Live_AcceptsAnyTime(string since)
    {
        using var response = await _host.Http.GetAsync($"/api/sweeps/{_sweep}/live?since={since}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SampleRequest_WithAPrimeTextInTheVocabulary_IsStored()
    {
        using var response = await _host.Http.PostAsync($"/api/runs/{_run}/samples?wait=0",
            new StringContent(Sample("\"primeText\": \"synthetic \""), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode); // no Worker here: stored, waiting for one
    }

    [Fact]
    public async Task SampleRequest_OverItsSizeLimit_Answers413()
    {
        var body = Sample($"\"primeText\": \"{new string('s', 300_000)}\"");
        using var response = await _host.Http.PostAsync($"/api/runs/{_run}/samples", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SameGridInAnotherOrder_ReturnsTheExistingSweep()
    {
        using var first = await _host.Http.PostAsync("/api/sweeps", Json(Spec(change: s => { s["name"] = "ordered"; s["models"] = new[] { "lstm", "gru" }; s["layers"] = new[] { 1, 2 }; })));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var before = await CountsAsync();

        using var again = await _host.Http.PostAsync("/api/sweeps", Json(Spec(change: s => { s["name"] = "ordered"; s["models"] = new[] { "gru", "lstm", "gru" }; s["layers"] = new[] { 2, 1 }; })));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var answer = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, answer.GetProperty("id").GetInt64());
        Assert.False(answer.GetProperty("created").GetBoolean());
        Assert.Equal(before, await CountsAsync());
    }

    [Theory]
    [InlineData("tinyshakespeare")]
    [InlineData("WarAndPeace")]
    [InlineData("linux")]
    public async Task AnUploadUnderTheNameOfANamedCorpus_IsRefused_AndTheNameStaysUnused(string name)
    {
        Assert.Contains($"'{name}' is the name of RnnSweep's corpus", await UploadIsRefusedAsync(name), StringComparison.Ordinal);
        var corpora = await _host.Http.GetFromJsonAsync<JsonElement>("/api/corpora");
        Assert.DoesNotContain(corpora.EnumerateArray().SelectMany(c => c.GetProperty("names").EnumerateArray()),
            n => string.Equals(n.GetString(), name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A pattern's '$' also matches before a final line break: 'tinyshakespeare\n' took other text and was listed as tinyshakespeare.</summary>
    [Theory]
    [InlineData("tinyshakespeare%0A")]
    [InlineData("my-corpus%0A")]
    public async Task AnUploadUnderANameEndingInALineBreak_IsRefused(string name) => Assert.NotEmpty(await UploadIsRefusedAsync(name));

    /// <summary>Uploads the class's text under <paramref name="name"/> (URL-encoded); asserts a 400 and nothing stored; returns the error for 'name'.</summary>
    private async Task<string> UploadIsRefusedAsync(string name)
    {
        var before = await CountsAsync();
        using var response = await _host.Http.PutAsync($"/api/corpora/{name}", new StringContent(Text, Encoding.UTF8, "text/plain"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(before, await CountsAsync());
        return JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("name")[0].GetString()!;
    }

    [Fact]
    public async Task ANamedCorpusNamePointingAtOtherText_IsNotTrainedOn()
    {
        // As an older version let an upload do: 'tinyshakespeare' points at the synthetic corpus.
        await using var conn = new NpgsqlConnection(_host.ConnectionString);
        await conn.OpenAsync();
        await using (var point = new NpgsqlCommand("insert into corpus_names (name, corpus_id, created_at) select 'tinyshakespeare', corpus_id, now() from sweeps where id = @sweep", conn))
        {
            point.Parameters.AddWithValue("sweep", _sweep);
            Assert.Equal(1, await point.ExecuteNonQueryAsync());
        }
        try
        {
            var before = await CountsAsync();
            using var response = await _host.Http.PostAsync("/api/sweeps", Json(Spec(change: s => { s["name"] = "on a repointed name"; s["corpus"] = "tinyshakespeare"; s.Remove("corpusText"); })));
            var text = await response.Content.ReadAsStringAsync();
            // The name counts as unset: the real text is looked for (this test host has no data directory and no downloads).
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
            Assert.Contains("tinyshakespeare", JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("corpus")[0].GetString()!, StringComparison.Ordinal);
            Assert.Equal(before, await CountsAsync());
        }
        finally
        {
            await using var unpoint = new NpgsqlCommand("delete from corpus_names where name = 'tinyshakespeare'", conn);
            await unpoint.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task SameSpecAfterAnUpgrade_ReturnsTheSweepAnOlderVersionStored()
    {
        string Older(string name, int maxEpochs = 1) => Spec(hp: h => h["maxEpochs"] = maxEpochs, change: s => { s["name"] = name; s["models"] = new[] { "lstm", "gru" }; });
        using var first = await _host.Http.PostAsync("/api/sweeps", Json(Older("stored by an older version")));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        // What an older version wrote: no fields added since (a hyperparameter at its default, the corpus recipe), models
        // in the order given, and a hash of that text, which today's serialisation never reproduces.
        await using (var conn = new NpgsqlConnection(_host.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                update sweeps set spec = spec - 'corpusRecipe' #- '{hyperparameters,gradClipScale}', spec_hash = 'written by an older version'
                where id = @id and spec ? 'corpusRecipe' and spec->'hyperparameters' ? 'gradClipScale'
                """, conn);
            cmd.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        var before = await CountsAsync();

        using var again = await _host.Http.PostAsync("/api/sweeps", Json(Older("stored by an older version")));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var answer = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, answer.GetProperty("id").GetInt64());
        Assert.False(answer.GetProperty("created").GetBoolean());
        Assert.Equal(before, await CountsAsync());

        // A spec that differs in one hyperparameter is still another sweep, under the same name.
        using var other = await _host.Http.PostAsync("/api/sweeps", Json(Older("stored by an older version", maxEpochs: 2)));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.NotEqual(id, (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
    }

    /// <summary>
    /// A stored spec today's types cannot read back whole (a member missing or null, a value of another type) is not
    /// the same sweep: the submission is answered as for any other spec, never with a 500 for every later submission
    /// of that name and corpus.
    /// </summary>
    [Theory]
    [InlineData(1, "spec - 'models'", false)]
    [InlineData(2, "jsonb_set(spec, '{models}', 'null')", false)]
    [InlineData(3, "'{}'::jsonb", false)]
    [InlineData(4, "jsonb_set(spec, '{layers}', '\"one\"')", false)]
    [InlineData(5, "spec - 'models'", true)]
    public async Task AStoredSpecThatCannotBeReadBack_IsNotTheSameSweep(int test, string unreadable, bool keyed)
    {
        var name = $"unreadable {test}";
        var body = Spec(change: s => { s["name"] = name; s["models"] = new[] { "lstm", "gru" }; });
        HttpRequestMessage Submit()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/sweeps") { Content = Json(body) };
            if (keyed) request.Headers.Add("Idempotency-Key", name);
            return request;
        }
        using (var first = await _host.Http.SendAsync(Submit()))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }
        await using (var conn = new NpgsqlConnection(_host.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"update sweeps set spec = {unreadable}, spec_hash = 'written by an older version' where name = @name", conn);
            cmd.Parameters.AddWithValue("name", name);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        using var again = await _host.Http.SendAsync(Submit());
        var text = await again.Content.ReadAsStringAsync();
        if (keyed)
        {
            // The key's sweep cannot be shown to have this spec: refused as a key used for another spec.
            Assert.True(again.StatusCode == HttpStatusCode.BadRequest, $"{(int)again.StatusCode}: {text}");
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), text);
        }
        else
        {
            Assert.True(again.StatusCode == HttpStatusCode.Created, $"{(int)again.StatusCode}: {text}");
        }
    }

    [Fact]
    public async Task SameBytesUnderASecondName_KeepBothNames_AndASweepCanUseTheSecond()
    {
        var text = GeneratedText.Sentences(6_000, seed: 21);
        using var a = await _host.Http.PutAsync("/api/corpora/first-name", new StringContent(text, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        using var b = await _host.Http.PutAsync("/api/corpora/second-name", new StringContent(text, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, b.StatusCode); // the bytes are stored already ...
        var stored = await b.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("second-name", stored.GetProperty("name").GetString()); // ... and answer to the new name

        using var sweep = await _host.Http.PostAsync("/api/sweeps", Json(Spec(change: s => { s["name"] = "on second name"; s["corpus"] = "second-name"; s.Remove("corpusText"); })));
        Assert.Equal(HttpStatusCode.Created, sweep.StatusCode);
        var corpora = await _host.Http.GetFromJsonAsync<JsonElement>("/api/corpora");
        var entry = corpora.EnumerateArray().Single(c => c.GetProperty("sha256").GetString() == stored.GetProperty("sha256").GetString());
        Assert.Equal(["first-name", "second-name"], entry.GetProperty("names").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task ConcurrentSubmissions_BringingTheSameNewCorpus_AllSucceed()
    {
        var text = GeneratedText.Sentences(6_000, seed: 33);
        var sweeps = Enumerable.Range(0, 4).Select(i => _host.Http.PostAsync("/api/sweeps",
            Json(Spec(change: s => { s["name"] = $"concurrent {i}"; s["corpus"] = $"together-{i}"; s["corpusText"] = text; }))));
        var uploads = Enumerable.Range(0, 4).Select(i => _host.Http.PutAsync($"/api/corpora/upload-{i}", new StringContent(text, Encoding.UTF8, "text/plain")));
        var responses = await Task.WhenAll(sweeps.Concat(uploads));
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}"));
        await using var conn = new NpgsqlConnection(_host.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(distinct c.id), count(n.name) from corpora c join corpus_names n on n.corpus_id = c.id where n.name like 'together-%' or n.name like 'upload-%'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((1L, 8L), (reader.GetInt64(0), reader.GetInt64(1))); // stored once, under all eight names
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<Dictionary<string, long>> CountsAsync()
    {
        var counts = await RowCounts.ReadAsync(_host.ConnectionString);
        await using var conn = new NpgsqlConnection(_host.ConnectionString);
        await conn.OpenAsync();
        foreach (var table in new[] { "samples", "corpus_names" })
        {
            await using var cmd = new NpgsqlCommand($"select count(*) from {table}", conn);
            counts[table] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        return counts;
    }
}
