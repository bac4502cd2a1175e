using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// One epoch of a run as the API answers it (the <c>epoch_metrics</c> row): losses in nats per symbol, accuracy a
/// fraction, throughput in symbols per second, the epoch's wall time in seconds.
/// </summary>
public sealed record EpochAnswer(long RunId, int Epoch, double TrainLoss, double ValLoss, double ValAccuracy, double LearningRate,
    double GradNorm, double CharsPerSecond, double Seconds, DateTimeOffset CreatedAt);

/// <summary>One run (grid cell). Losses: best checkpoint's, in nats per symbol, null until known.</summary>
/// <param name="Hyperparameters">As submitted (the run's own cap is <paramref name="MaxEpochs"/>).</param>
/// <param name="Lease">Who holds the running run and until when; null unless running.</param>
public sealed record RunDetail(
    long Id, long SweepId, string Model, int Layers, int Size, int Hidden, string Status, int Attempt, int DivergenceRetries, int EpochsDone,
    int? BestEpoch, long? ParameterCount, long Seed, Hyperparameters Hyperparameters, int MaxEpochs, double? TrainLoss, double? ValLoss,
    double? TestLoss, string? StopKind, string? StopReason, string? Error, string? JobId, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt,
    LeaseState? Lease, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary><c>/api/runs</c>: one run (grid cell) and its epoch metrics; cancel and resume it.</summary>
public static class RunApi
{
    public static void MapRunApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").WithTags("Runs");
        api.MapGet("/{id:long}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One run with its hyperparameters and lease");
        api.MapPost("/{id:long}/cancel", CancelAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Cancel one run");
        api.MapPost("/{id:long}/resume", ResumeAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .DescribesQuery("maxEpochs", JsonSchemaType.Integer, $"raise the epoch cap to this (1 to {Hyperparameters.MaxEpochsLimit})")
            .WithSummary("Enqueue one run again from its latest checkpoint; ?maxEpochs=N raises its epoch cap");
        api.MapGet("/{id:long}/epochs", EpochsAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("The run's metrics, one row per epoch");
    }

    public static async Task<Results<Ok<RunDetail>, ProblemHttpResult>> GetAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var r = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (r is null) return ApiErrors.NotFound("id", $"no run {id}");
        return TypedResults.Ok(new RunDetail(
            r.Id, r.SweepId, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.Attempt, r.DivergenceRetries, r.EpochsDone, r.BestEpoch,
            r.ParameterCount, r.Seed, JsonSerializer.Deserialize<Hyperparameters>(r.Hyperparameters, JsonContract.Options)!,
            r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopKind, r.StopReason, r.Error, r.JobId, r.LeaseOwner, r.LeaseExpiresAt,
            LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, DateTimeOffset.UtcNow), r.StartedAt, r.FinishedAt));
    }

    public static async Task<Results<Ok<CancelOutcome>, ProblemHttpResult>> CancelAsync(long id, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
        await SweepOf(db, id, ct) is { } sweepId ? TypedResults.Ok(new CancelOutcome(await control.CancelAsync(sweepId, id, ct))) : ApiErrors.NotFound("id", $"no run {id}");

    public static async Task<Results<Ok<ResumeOutcome>, ProblemHttpResult>> ResumeAsync(long id, HttpRequest http, RnnSweepDbContext db, SweepControl control, CancellationToken ct)
    {
        var maxEpochs = ApiErrors.QueryInt(http, "maxEpochs", 1, Hyperparameters.MaxEpochsLimit);
        return await SweepOf(db, id, ct) is { } sweepId
            ? TypedResults.Ok(new ResumeOutcome(await control.ResumeAsync(sweepId, id, maxEpochs, ct))) : ApiErrors.NotFound("id", $"no run {id}");
    }

    public static async Task<Results<Ok<List<EpochAnswer>>, ProblemHttpResult>> EpochsAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
        return TypedResults.Ok(await db.EpochMetrics.AsNoTracking().Where(m => m.RunId == id).OrderBy(m => m.Epoch)
            .Select(m => new EpochAnswer(m.RunId, m.Epoch, m.TrainLoss, m.ValLoss, m.ValAccuracy, m.LearningRate, m.GradNorm, m.CharsPerSecond, m.Seconds, m.CreatedAt))
            .ToListAsync(ct));
    }

    private static Task<long?> SweepOf(RnnSweepDbContext db, long runId, CancellationToken ct) =>
        db.Runs.Where(r => r.Id == runId).Select(r => (long?)r.SweepId).SingleOrDefaultAsync(ct);
}
