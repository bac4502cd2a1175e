using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Api;

/// <summary><c>/api/runs</c>: one run (grid cell) and its epoch metrics.</summary>
public static class RunApi
{
    public static void MapRunApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs");

        api.MapGet("/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            var r = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
            if (r is null) return ApiErrors.NotFound("id", $"no run {id}");
            return Results.Ok(new
            {
                r.Id, r.SweepId, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.Attempt, r.DivergenceRetries, r.EpochsDone, r.BestEpoch,
                r.ParameterCount, r.Seed, Hyperparameters = JsonDocument.Parse(r.Hyperparameters).RootElement,
                r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopKind, r.StopReason, r.Error, r.JobId, r.LeaseOwner, r.LeaseExpiresAt,
                Lease = LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, DateTimeOffset.UtcNow), r.StartedAt, r.FinishedAt,
            });
        });

        api.MapPost("/{id:long}/cancel", async (long id, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
            await db.Runs.Where(r => r.Id == id).Select(r => (long?)r.SweepId).SingleOrDefaultAsync(ct) is { } sweepId
                ? Results.Ok(new { cancelled = await control.CancelAsync(sweepId, id, ct) }) : ApiErrors.NotFound("id", $"no run {id}"));

        api.MapPost("/{id:long}/resume", async (long id, HttpRequest http, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
        {
            var maxEpochs = ApiErrors.QueryInt(http, "maxEpochs", 1, Hyperparameters.MaxEpochsLimit);
            return await db.Runs.Where(r => r.Id == id).Select(r => (long?)r.SweepId).SingleOrDefaultAsync(ct) is { } sweepId
                ? Results.Ok(new { enqueued = await control.ResumeAsync(sweepId, id, maxEpochs, ct) }) : ApiErrors.NotFound("id", $"no run {id}");
        }).AddEndpointFilter<ApiErrors>();

        api.MapGet("/{id:long}/epochs", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
            return Results.Ok(await db.EpochMetrics.AsNoTracking().Where(m => m.RunId == id).OrderBy(m => m.Epoch).ToListAsync(ct));
        });
    }
}
