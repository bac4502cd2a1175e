using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>The saturation point of one gate unit: fractions of time steps with the gate below 0.1 (left) and above 0.9 (right).</summary>
public sealed record GateSaturationPoint(int Layer, string Gate, int Unit, double LeftFraction, double RightFraction);

/// <summary>
/// Cell activations over a stretch of test text: <c>Values</c> is base64 of int8s, layer-major
/// (layers x steps x hidden); a value is the byte read as signed, times <c>Scale</c>.
/// </summary>
public sealed record CellActivations(string Text, int Layers, int Steps, int Hidden, float Scale, string Values);

/// <summary>A unit that tracks a text feature: Pearson correlation of its cell value with the feature, ranked per feature.</summary>
public sealed record InterpretableUnit(string Feature, int Rank, int Layer, int Unit, double Correlation);

/// <summary>A pending sample's address: poll <c>GET /api/samples/{Id}</c>.</summary>
public sealed record SamplePending(long Id);

/// <summary>
/// A sample as the API answers it (the <c>samples</c> row): the settings it was drawn with, its texts (null while
/// pending; <c>text</c> is the first of <c>texts</c>) or why it could not be made. Timestamps are UTC.
/// </summary>
public sealed record SampleAnswer(long Id, long RunId, string Method, double Temperature, int TopK, string PrimeText, long Seed, int Length, int Count,
    string? Text, string[]? Texts, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public static SampleAnswer Of(Sample s) =>
        new(s.Id, s.RunId, s.Method, s.Temperature, s.TopK, s.PrimeText, s.Seed, s.Length, s.Count, s.Text, s.Texts, s.Error, s.CreatedAt, s.FinishedAt);
}

/// <summary>The sweep's n-gram baseline at one order, test loss in nats per symbol.</summary>
public sealed record NGramLoss(int Order, string Smoothing, double TestLoss);

/// <summary>The paper's analyses of a run (saturation, cells, interpretable units, samples) and a sweep's n-gram baseline.</summary>
public static class AnalysisApi
{
    public static readonly TimeSpan DefaultSampleWait = TimeSpan.FromSeconds(60);
    /// <summary>Upper bound of <c>?wait=</c>.</summary>
    public static readonly TimeSpan MaxSampleWait = TimeSpan.FromSeconds(300);

    public static void MapAnalysisApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Analyses");
        runs.MapGet("/saturation", SaturationAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Gate saturation of every gate unit (the paper's Figure 3); [] for an analysed vanilla RNN, 404 saying why for a run not analysed");
        runs.MapGet("/cells", CellsAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Cell activations over test text, for the visualiser; 404 saying why for a run not analysed");
        runs.MapGet("/interpretable-cells", InterpretableCellsAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Units most correlated with text features (quotes, line position, ...); [] when none passed its threshold, 404 saying why for a run not analysed");
        runs.MapGet("/samples", SamplesAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("The run's samples, oldest first");
        runs.MapPost("/samples", RequestSampleAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Accepts<SampleSettings>("application/json") // read by hand (ApiErrors.ReadJsonAsync), so described here
            .DescribesQuery("wait", JsonSchemaType.Number, $"seconds to wait for the sample (0 to {MaxSampleWait.TotalSeconds}, default {DefaultSampleWait.TotalSeconds})")
            .WithMetadata(new RequestSizeLimitAttribute(SampleSettings.MaxBodyBytes))
            .WithSummary("Ask a Worker for a sample and wait up to ?wait= seconds (default 60): 201 with the sample, or 202 with its id");

        var samples = app.MapGroup("/api/samples").WithTags("Analyses");
        samples.MapGet("/{id:long}", SampleAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One sample; text and error are null while it is pending");
        samples.MapGet("/defaults", SampleDefaults).WithSummary("The sampling settings a request gets for the fields it leaves out");

        app.MapGet("/api/sweeps/{id:long}/ngram", NGramAsync).WithTags("Analyses").ProducesProblem(StatusCodes.Status404NotFound).WithSummary("The sweep's n-gram baseline, one row per order; 404 saying whether it is coming while none is stored");
    }

    public static async Task<Results<Ok<List<GateSaturationPoint>>, ProblemHttpResult>> SaturationAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (await NotAnalysedAsync(db, id, ct) is { } missing) return missing;
        // Analysed: [] means none (a vanilla RNN has no gates), never "not yet".
        return TypedResults.Ok(await db.GateSaturation.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Layer).ThenBy(s => s.Gate).ThenBy(s => s.Unit)
            .Select(s => new GateSaturationPoint(s.Layer, s.Gate, s.Unit, s.LeftFraction, s.RightFraction)).ToListAsync(ct));
    }

    public static async Task<Results<Ok<CellActivations>, ProblemHttpResult>> CellsAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        // The activations the run page's visualiser shows whenever they are stored (a resumed run's too, until its new
        // analysis replaces them); without them, why.
        Task<CellActivation?> LoadAsync() => db.CellActivations.AsNoTracking().SingleOrDefaultAsync(c => c.RunId == id, ct);
        var cells = await LoadAsync();
        if (cells is null)
        {
            if (await NotAnalysedAsync(db, id, ct) is { } missing) return missing;
            cells = await LoadAsync(); // analysed between the two reads: the rows were stored with analyzed_at
            if (cells is null) return ApiErrors.NotFound("id", $"run {id} was analysed without cell activations");
        }
        return TypedResults.Ok(new CellActivations(cells.Text, cells.Layers, cells.Steps, cells.Hidden, cells.Scale, Convert.ToBase64String(cells.Values)));
    }

    public static async Task<Results<Ok<List<InterpretableUnit>>, ProblemHttpResult>> InterpretableCellsAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (await NotAnalysedAsync(db, id, ct) is { } missing) return missing;
        // Analysed: [] means no unit passed a feature's threshold, never "not yet".
        return TypedResults.Ok(await db.InterpretableCells.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Feature).ThenBy(c => c.Rank)
            .Select(c => new InterpretableUnit(c.Feature, c.Rank, c.Layer, c.Unit, c.Correlation)).ToListAsync(ct));
    }

    public static async Task<Results<Ok<List<SampleAnswer>>, ProblemHttpResult>> SamplesAsync(long id, RnnSweepDbContext db, CancellationToken ct) =>
        await RunExists(db, id, ct)
            ? TypedResults.Ok((await db.Samples.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct)).ConvertAll(SampleAnswer.Of))
            : NoRun(id);

    /// <summary>Every sampling field at its default (<see cref="SampleSettings.Default"/>).</summary>
    public static Ok<SampleSettings> SampleDefaults() => TypedResults.Ok(SampleSettings.Default);

    public static async Task<Results<Created<SampleAnswer>, Accepted<SamplePending>, ProblemHttpResult>> RequestSampleAsync(
        long id, HttpRequest http, RnnSweepDbContext db, IBackgroundJobClient jobs, CancellationToken ct)
    {
        var waitSeconds = ApiErrors.QueryDouble(http, "wait", 0, MaxSampleWait.TotalSeconds);
        var request = await ApiErrors.ReadJsonAsync<SampleSettings>(http, ct);
        if (!await RunExists(db, id, ct)) return NoRun(id);
        var sampleId = await SampleRequests.RequestAsync(db, jobs, id, request, "id", ct);
        var wait = waitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultSampleWait;
        var done = await SampleRequests.WaitAsync(db, sampleId, wait, ct);
        return done is null ? TypedResults.Accepted($"/api/samples/{sampleId}", new SamplePending(sampleId)) : TypedResults.Created($"/api/samples/{sampleId}", SampleAnswer.Of(done));
    }

    public static async Task<Results<Ok<SampleAnswer>, ProblemHttpResult>> SampleAsync(long id, RnnSweepDbContext db, CancellationToken ct) =>
        await db.Samples.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } s ? TypedResults.Ok(SampleAnswer.Of(s)) : ApiErrors.NotFound("id", $"no sample {id}");

    public static async Task<Results<Ok<List<NGramLoss>>, ProblemHttpResult>> NGramAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) return ApiErrors.NotFound("id", $"no sweep {id}");
        var rows = await db.NGramBaselines.AsNoTracking().Where(n => n.SweepId == id).OrderBy(n => n.Order)
            .Select(n => new NGramLoss(n.Order, n.Smoothing, n.TestLoss)).ToListAsync(ct);
        if (rows.Count > 0) return TypedResults.Ok(rows);
        return ApiErrors.NotFound("id", $"sweep {id}: {MissingAnalysis.DescribeNGram(await GivenUpWork.LoadOneAsync(db, WorkKind.NGramBaseline, id, ct))}");
    }

    /// <summary>
    /// 404 for a run that does not exist, or one not analysed, saying why and whether its analysis is coming
    /// (<see cref="MissingAnalysis"/>); null for an analysed run. Read before the analysis rows: they are stored with
    /// analyzed_at in one transaction, so an analysed run's rows are all there, and a resumed run (analyzed_at cleared,
    /// its earlier analysis kept until the new one replaces it) answers 404 until it is analysed again.
    /// </summary>
    private static async Task<ProblemHttpResult?> NotAnalysedAsync(RnnSweepDbContext db, long id, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null) return NoRun(id);
        if (run.AnalyzedAt is not null) return null;
        return ApiErrors.NotFound("id", $"run {id}: {MissingAnalysis.Describe(run, await GivenUpWork.LoadOneAsync(db, WorkKind.Analysis, id, ct))}");
    }

    private static Task<bool> RunExists(RnnSweepDbContext db, long id, CancellationToken ct) => db.Runs.AnyAsync(r => r.Id == id, ct);

    private static ProblemHttpResult NoRun(long id) => ApiErrors.NotFound("id", $"no run {id}");
}
