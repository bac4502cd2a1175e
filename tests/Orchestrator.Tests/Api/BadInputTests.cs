using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>Every bad input is answered 4xx naming the field, and nothing is written.</summary>
/// <remarks>
/// One Orchestrator for the class (<see cref="BadInputHost"/>): every test that expects nothing written compares the
/// row counts before and after its own request, so the rows earlier tests wrote do not matter; the two tests that
/// store something use names of their own.
/// </remarks>
public sealed class BadInputTests(BadInputTests.BadInputHost fixture) : IClassFixture<BadInputTests.BadInputHost>
{
    private readonly OrchestratorHost _host = fixture.Host;

    /// <summary>The class's Orchestrator over a database of its own, holding one good sweep.</summary>
    public sealed class BadInputHost : IAsyncLifetime
    {
        private readonly PostgresFixture _postgres = new(); // a handle on the one server

        public OrchestratorHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await _postgres.InitializeAsync();
            // Uploads are capped low here so that an oversized one is cheap to send.
            // No reaper pass during the tests: it would give the synthetic sweep's queued run and baseline their first jobs
            // between the two row counts, which are to show that a refused request stores nothing.
            Host = await OrchestratorHost.StartAsync(await _postgres.CreateDatabaseAsync(), "--Corpora:MaxBytes=200000", "--Reaper:Interval=01:00:00");
            // One good sweep first, so "unchanged" is checked against tables that hold rows.
            using var ok = await Host.Http.PostAsync("/api/sweeps", new StringContent(Json(Spec()), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private static readonly string Text = GeneratedText.Sentences(5_000);

    private static Dictionary<string, object?> Spec(Action<Dictionary<string, object?>>? change = null, Action<Dictionary<string, object?>>? hp = null)
    {
        var hyperparameters = new Dictionary<string, object?> { ["maxEpochs"] = 1, ["seqLength"] = 8, ["batchSize"] = 4 };
        hp?.Invoke(hyperparameters);
        var spec = new Dictionary<string, object?>
        {
            ["name"] = "good", ["corpus"] = "generated", ["corpusText"] = Text,
            ["models"] = new[] { "lstm" }, ["layers"] = new[] { 1 }, ["hiddenSizes"] = new[] { 8 }, ["hyperparameters"] = hyperparameters,
        };
        change?.Invoke(spec);
        return spec;
    }

    public static TheoryData<string, string, int> SweepCases() => new()
    {
        { "empty corpus", Json(Spec(s => s["corpusText"] = "")), 400 },
        { "corpus too small for splits and sequence length", Json(Spec(s => s["corpusText"] = "abcabcabcabc")), 400 },
        { "unknown model type", Json(Spec(s => s["models"] = new[] { "lstm", "transformer" })), 400 },
        { "layers 0", Json(Spec(s => s["layers"] = new[] { 0 })), 400 },
        { "layers 100", Json(Spec(s => s["layers"] = new[] { 100 })), 400 },
        { "hidden size 0", Json(Spec(s => s["hiddenSizes"] = new[] { 0 })), 400 },
        { "hidden size 10^6", Json(Spec(s => s["hiddenSizes"] = new[] { 1_000_000 })), 400 },
        { "negative learning rate", Json(Spec(hp: h => h["learningRate"] = -0.1)), 400 },
        { "malformed JSON", """{"name": "x", "models": ["lstm" """, 400 },
        { "wrong JSON type", """{"name": "x", "layers": "two"}""", 400 },
        { "unknown field", Json(Spec(s => s["hiddenSize"] = 8)), 400 },
        { "name carrying SQL", Json(Spec(s => s["name"] = "x'; drop table runs; --")), 400 },
        { "name carrying HTML", Json(Spec(s => s["name"] = "<script>alert(1)</script>")), 400 },
        { "corpus name carrying a path", Json(Spec(s => { s["corpus"] = "../../etc/passwd"; s.Remove("corpusText"); })), 400 },
        { "unknown corpus", Json(Spec(s => { s["corpus"] = "no-such-corpus"; s.Remove("corpusText"); })), 400 },
        { "unknown split layout", Json(Spec(hp: h => h["splitLayout"] = "diagonal")), 400 },
        // An RNN matched to an LSTM of 8192 units needs about 16,000: above the limit a row itself is held to.
        { "matched size above the limit", Json(Spec(s => { s["models"] = new[] { "lstm", "rnn" }; s["hiddenSizes"] = new[] { 8192 }; s["matchParameters"] = true; })), 400 },
        { "matchLayers without matchParameters", Json(Spec(s => s["matchLayers"] = true)), 400 },
        { "matchLayers not a boolean", Json(Spec(s => s["matchLayers"] = "yes")), 400 },
    };

    private static readonly Dictionary<string, string> ExpectedField = new()
    {
        ["empty corpus"] = "corpusText", ["corpus too small for splits and sequence length"] = "corpusText",
        ["unknown model type"] = "models[1]", ["layers 0"] = "layers[0]", ["layers 100"] = "layers[0]",
        ["hidden size 0"] = "hiddenSizes[0]", ["hidden size 10^6"] = "hiddenSizes[0]", ["negative learning rate"] = "hyperparameters.learningRate",
        ["malformed JSON"] = "models[1]", ["wrong JSON type"] = "layers", ["unknown field"] = "hiddenSize",
        ["name carrying SQL"] = "name", ["name carrying HTML"] = "name", ["corpus name carrying a path"] = "corpus", ["unknown corpus"] = "corpus",
        ["unknown split layout"] = "hyperparameters.splitLayout", ["matched size above the limit"] = "hiddenSizes",
        ["matchLayers without matchParameters"] = "matchLayers", ["matchLayers not a boolean"] = "matchLayers",
    };

    [Theory]
    [MemberData(nameof(SweepCases))]
    public async Task PostSweep_Answers4xxNamingTheField_AndWritesNothing(string input, string body, int status)
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        using var response = await _host.Http.PostAsync("/api/sweeps", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        var errors = JsonDocument.Parse(problem).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(ExpectedField[input], out _), $"{input}: expected field '{ExpectedField[input]}' in {problem}");
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    [Fact]
    public async Task PostSweep_NamesAnUnknownCorpusWithTheOtherFieldErrors()
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        using var response = await PostSweep(Spec(s => { s["corpus"] = "no-such-corpus"; s.Remove("corpusText"); s["layers"] = new[] { 0 }; }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("no-such-corpus", errors.GetProperty("corpus")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("layers[0]", out _));
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    [Theory]
    [InlineData("not UTF-8", new byte[] { 0x61, 0x62, 0xff, 0xfe, 0x63 }, 400, "body")]
    [InlineData("empty", new byte[0], 400, "body")]
    [InlineData("binary", new byte[] { 0x61, 0x00, 0x62 }, 400, "body")]
    public async Task PutCorpus_Answers4xxNamingTheField_AndWritesNothing(string input, byte[] content, int status, string field)
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await _host.Http.PutAsync("/api/corpora/upload", body);
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.True(JsonDocument.Parse(problem).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{input}: {problem}");
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    [Fact]
    public async Task PutCorpus_Answers413_WhenTheUploadIsOversized()
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        using var body = new StringContent(new string('a', 300_000) + "b", Encoding.UTF8, "text/plain");
        using var response = await _host.Http.PutAsync("/api/corpora/big", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    [Fact]
    public async Task PutCorpus_StoresItOnce_AndASweepCanNameIt()
    {
        using var body = new StringContent(GeneratedText.Sentences(6_000, seed: 5), Encoding.UTF8, "text/plain");
        using var first = await _host.Http.PutAsync("/api/corpora/uploaded", body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var again = await _host.Http.PutAsync("/api/corpora/uploaded", new StringContent(GeneratedText.Sentences(6_000, seed: 5), Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var sweep = await PostSweep(Spec(s => { s["corpus"] = "uploaded"; s.Remove("corpusText"); s["name"] = "on upload"; }));
        Assert.Equal(HttpStatusCode.Created, sweep.StatusCode);
    }

    [Theory]
    [InlineData("/api/sweeps/999999")]
    [InlineData("/api/sweeps/999999/loss-table")]
    [InlineData("/api/runs/999999")]
    [InlineData("/api/runs/999999/epochs")]
    public async Task Get_Answers404NamingTheId_WhenItDoesNotExist(string path)
    {
        using var response = await _host.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task PostSweep_ReturnsTheExistingSweep_WhenTheSameSpecIsSubmittedAgain()
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        using var again = await PostSweep(Spec());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("created").GetBoolean());
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    private Task<HttpResponseMessage> PostSweep(object spec) =>
        _host.Http.PostAsync("/api/sweeps", new StringContent(Json(spec), Encoding.UTF8, "application/json"));

    private static string Json(object o) => JsonSerializer.Serialize(o);
}
