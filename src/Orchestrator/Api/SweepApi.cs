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

/// <summary>A sweep in a list: its identity and its runs counted by status (every status present, zeros included).</summary>
public sealed record SweepSummary(long Id, string Name, string Corpus, string Queue, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, int> Runs);

/// <summary>The answer to a submission: the sweep (new, or the existing one with the same spec or Idempotency-Key) and its number of runs.</summary>
/// <param name="Created">false when an identical sweep (or the same Idempotency-Key) already existed: nothing new was enqueued.</param>
public sealed record SweepSubmitted(long Id, string Name, bool Created, int Runs);

/// <summary>One sweep: its summary, the spec as resolved and stored (preset applied, defaults filled in), and every run.</summary>
public sealed record SweepDetail(SweepSummary Summary, ResolvedSweep Spec, IReadOnlyList<RunSummary> Runs);

/// <summary>A run (grid cell) as a sweep lists it. Losses: best checkpoint's, in nats per symbol, null until known.</summary>
/// <param name="Size">The grid row (hidden size asked for); <paramref name="Hidden"/> is what trains (they differ with matchParameters).</param>
/// <param name="Lease">Who holds the running run and until when; null unless running.</param>
public sealed record RunSummary(
    long Id, string Model, int Layers, int Size, int Hidden, string Status, int Attempt, int DivergenceRetries, int EpochsDone, int? BestEpoch,
    long? ParameterCount, int MaxEpochs, double? TrainLoss, double? ValLoss, double? TestLoss, string? StopKind, string? StopReason, string? Error,
    string? JobId, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt, LeaseState? Lease, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>How many cells a cancel stopped.</summary>
public sealed record CancelOutcome(int Cancelled);

/// <summary>How many cells a resume enqueued again.</summary>
public sealed record ResumeOutcome(int Enqueued);

/// <summary><c>/api/sweeps</c>: submit a sweep, list them, read one, its loss table and its estimated time to finish, cancel and resume it.</summary>
public static class SweepApi
{
    public static void MapSweepApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sweeps").WithTags("Sweeps");
        api.MapPost("/", SubmitAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Accepts<SweepSpec>("application/json") // read by hand (ApiErrors.ReadJsonAsync), so described here
            .WithSummary("Submit a sweep (spec as in docs/spec.md); idempotent by spec or Idempotency-Key header");
        api.MapGet("/", ListAsync).WithSummary("Every sweep, newest first");
        api.MapGet("/{id:long}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One sweep with its resolved spec and every run");
        api.MapPost("/{id:long}/cancel", CancelAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Cancel the sweep's queued and running cells");
        api.MapPost("/{id:long}/resume", ResumeAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .DescribesQuery("maxEpochs", JsonSchemaType.Integer, $"raise the epoch cap to this (1 to {Hyperparameters.MaxEpochsLimit})")
            .WithSummary("Enqueue the sweep's unfinished cells again, from their latest checkpoints; ?maxEpochs=N raises the epoch cap");
        api.MapGet("/{id:long}/loss-table", LossTableAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The loss table, laid out as the paper's Table 1; ?view=best (default), mean or slice (&slice=dropout=0.25,seed=42) says how a cell's several runs are shown");
        api.MapGet("/{id:long}/estimate", EstimateAsync).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("The sweep's estimated time to finish, from the epochs landed so far");
    }

    public static async Task<Results<Created<SweepSubmitted>, Ok<SweepSubmitted>>> SubmitAsync(HttpRequest request, SweepSubmitter submitter, CancellationToken ct)
    {
        var spec = await ApiErrors.ReadJsonAsync<SweepSpec>(request, ct);
        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        var result = await submitter.SubmitAsync(spec, key, ct);
        var body = new SweepSubmitted(result.Sweep.Id, result.Sweep.Name, result.Created, result.Runs);
        return result.Created ? TypedResults.Created($"/api/sweeps/{result.Sweep.Id}", body) : TypedResults.Ok(body);
    }

    public static async Task<Ok<List<SweepSummary>>> ListAsync(RnnSweepDbContext db, CancellationToken ct) => TypedResults.Ok(await Summaries(db, null, ct));

    public static async Task<Results<Ok<SweepDetail>, ProblemHttpResult>> GetAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var summary = (await Summaries(db, id, ct)).SingleOrDefault();
        if (summary is null) return ApiErrors.NotFound("id", $"no sweep {id}");
        var spec = await db.Sweeps.Where(s => s.Id == id).Select(s => s.Spec).SingleAsync(ct);
        var now = DateTimeOffset.UtcNow; // a running run's lease: held, or expired N s ago and waiting for takeover
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.Id).Select(r => new RunSummary(
            r.Id, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.Attempt, r.DivergenceRetries, r.EpochsDone, r.BestEpoch, r.ParameterCount,
            r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopKind, r.StopReason, r.Error, r.JobId, r.LeaseOwner, r.LeaseExpiresAt,
            LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now), r.StartedAt, r.FinishedAt)).ToListAsync(ct);
        return TypedResults.Ok(new SweepDetail(summary, JsonSerializer.Deserialize<ResolvedSweep>(spec, JsonContract.Options)!, runs));
    }

    public static async Task<Results<Ok<CancelOutcome>, ProblemHttpResult>> CancelAsync(long id, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
        await db.Sweeps.AnyAsync(s => s.Id == id, ct) ? TypedResults.Ok(new CancelOutcome(await control.CancelAsync(id, null, ct))) : ApiErrors.NotFound("id", $"no sweep {id}");

    // ?maxEpochs=N also sets the cells' epoch cap: cells that stopped at a lower one continue (see SweepControl).
    public static async Task<Results<Ok<ResumeOutcome>, ProblemHttpResult>> ResumeAsync(long id, HttpRequest http, RnnSweepDbContext db, SweepControl control, CancellationToken ct)
    {
        var maxEpochs = ApiErrors.QueryInt(http, "maxEpochs", 1, Hyperparameters.MaxEpochsLimit);
        return await db.Sweeps.AnyAsync(s => s.Id == id, ct) ? TypedResults.Ok(new ResumeOutcome(await control.ResumeAsync(id, null, maxEpochs, ct))) : ApiErrors.NotFound("id", $"no sweep {id}");
    }

    public static async Task<Results<Ok<LossTable>, ProblemHttpResult>> LossTableAsync(long id, string? view, string? slice, RnnSweepDbContext db, CancellationToken ct) =>
        await LossTable.LoadAsync(db, id, view ?? LossTableViews.Best, slice, ct) is { } table ? TypedResults.Ok(table) : ApiErrors.NotFound("id", $"no sweep {id}");

    public static async Task<Results<Ok<SweepEstimate>, ProblemHttpResult>> EstimateAsync(long id, RnnSweepDbContext db, CancellationToken ct) =>
        await SweepEstimate.LoadAsync(db, id, ct) is { } estimate ? TypedResults.Ok(estimate) : ApiErrors.NotFound("id", $"no sweep {id}");

    public static async Task<List<SweepSummary>> Summaries(RnnSweepDbContext db, long? id, CancellationToken ct)
    {
        var sweeps = await db.Sweeps.AsNoTracking().Where(s => id == null || s.Id == id).OrderByDescending(s => s.Id)
            .Select(s => new { s.Id, s.Name, Corpus = s.Corpus!.Name, s.Queue, s.CreatedAt }).ToListAsync(ct);
        var ids = sweeps.Select(s => s.Id).ToList();
        var counts = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.SweepId))
            .GroupBy(r => new { r.SweepId, r.Status }).Select(g => new { g.Key.SweepId, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        return sweeps.Select(s => new SweepSummary(s.Id, s.Name, s.Corpus, s.Queue, s.CreatedAt,
            RunStatus.All.ToDictionary(st => st, st => counts.Where(c => c.SweepId == s.Id && c.Status == st).Sum(c => c.Count)))).ToList();
    }
}
