using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Api;

public sealed record SweepSummary(long Id, string Name, string Corpus, string Queue, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, int> Runs);

/// <summary><c>/api/sweeps</c>: submit a sweep, list them, read one, its loss table and its estimated time to finish.</summary>
public static class SweepApi
{
    public static void MapSweepApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sweeps");

        api.MapPost("/", async (HttpRequest request, SweepSubmitter submitter, CancellationToken ct) =>
        {
            var spec = await ApiErrors.ReadJsonAsync<SweepSpec>(request, ct);
            var key = request.Headers["Idempotency-Key"].FirstOrDefault();
            var result = await submitter.SubmitAsync(spec, key, ct);
            var body = new { id = result.Sweep.Id, name = result.Sweep.Name, created = result.Created, runs = result.Runs };
            return result.Created ? Results.Created($"/api/sweeps/{result.Sweep.Id}", body) : Results.Ok(body);
        }).AddEndpointFilter<ApiErrors>();

        api.MapGet("/", async (RnnSweepDbContext db, CancellationToken ct) => await Summaries(db, null, ct));

        api.MapGet("/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            var summary = (await Summaries(db, id, ct)).SingleOrDefault();
            if (summary is null) return ApiErrors.NotFound("id", $"no sweep {id}");
            var spec = await db.Sweeps.Where(s => s.Id == id).Select(s => s.Spec).SingleAsync(ct);
            var now = DateTimeOffset.UtcNow; // a running run's lease: held, or expired N s ago and waiting for takeover
            var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.Id).Select(r => new
            {
                r.Id, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.Attempt, r.DivergenceRetries, r.EpochsDone, r.BestEpoch, r.ParameterCount,
                r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopKind, r.StopReason, r.Error, r.JobId, r.LeaseOwner, r.LeaseExpiresAt,
                Lease = LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now), r.StartedAt, r.FinishedAt,
            }).ToListAsync(ct);
            return Results.Ok(new { summary, spec = JsonDocument.Parse(spec).RootElement, runs });
        });

        api.MapPost("/{id:long}/cancel", async (long id, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
            await db.Sweeps.AnyAsync(s => s.Id == id, ct) ? Results.Ok(new { cancelled = await control.CancelAsync(id, null, ct) }) : ApiErrors.NotFound("id", $"no sweep {id}"));

        // ?maxEpochs=N also sets the cells' epoch cap: cells that stopped at a lower one continue (see SweepControl).
        api.MapPost("/{id:long}/resume", async (long id, HttpRequest http, RnnSweepDbContext db, SweepControl control, CancellationToken ct) =>
        {
            var maxEpochs = ApiErrors.QueryInt(http, "maxEpochs", 1, Hyperparameters.MaxEpochsLimit);
            return await db.Sweeps.AnyAsync(s => s.Id == id, ct) ? Results.Ok(new { enqueued = await control.ResumeAsync(id, null, maxEpochs, ct) }) : ApiErrors.NotFound("id", $"no sweep {id}");
        }).AddEndpointFilter<ApiErrors>();

        // ?view=best (default), mean or slice (&slice=dropout=0.25,seed=42): how a cell's several runs are shown.
        api.MapGet("/{id:long}/loss-table", async (long id, string? view, string? slice, RnnSweepDbContext db, CancellationToken ct) =>
            await LossTable.LoadAsync(db, id, view ?? LossTableViews.Best, slice, ct) is { } table ? Results.Ok(table) : ApiErrors.NotFound("id", $"no sweep {id}"))
            .AddEndpointFilter<ApiErrors>();

        api.MapGet("/{id:long}/estimate", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            var conn = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                return await SweepEstimate.LoadAsync(conn, id, ct) is { } estimate ? Results.Ok(estimate) : ApiErrors.NotFound("id", $"no sweep {id}");
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
    }

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
