using Hangfire;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;

namespace RnnSweep.Orchestrator.Api;

/// <summary>The paper's analyses of a run (saturation, cells, interpretable units, samples) and a sweep's n-gram baseline.</summary>
public static class AnalysisApi
{
    public static readonly TimeSpan DefaultSampleWait = TimeSpan.FromSeconds(60);
    /// <summary>Upper bound of <c>?wait=</c>.</summary>
    public static readonly TimeSpan MaxSampleWait = TimeSpan.FromSeconds(300);

    public static void MapAnalysisApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs/{id:long}");

        runs.MapGet("/saturation", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await RunExists(db, id, ct) ? Results.Ok(await db.GateSaturation.AsNoTracking().Where(s => s.RunId == id)
                .OrderBy(s => s.Layer).ThenBy(s => s.Gate).ThenBy(s => s.Unit)
                .Select(s => new { s.Layer, s.Gate, s.Unit, s.LeftFraction, s.RightFraction }).ToListAsync(ct)) : NoRun(id));

        runs.MapGet("/cells", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await RunExists(db, id, ct)) return NoRun(id);
            var cells = await db.CellActivations.AsNoTracking().SingleOrDefaultAsync(c => c.RunId == id, ct);
            if (cells is null) return ApiErrors.NotFound("id", $"run {id} has no cell activations yet");
            // values: int8, layer-major (layers x steps x hidden), base64; value = byte (as signed) x scale.
            return Results.Ok(new { cells.Text, cells.Layers, cells.Steps, cells.Hidden, cells.Scale, Values = Convert.ToBase64String(cells.Values) });
        });

        runs.MapGet("/interpretable-cells", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await RunExists(db, id, ct) ? Results.Ok(await db.InterpretableCells.AsNoTracking().Where(c => c.RunId == id)
                .OrderBy(c => c.Feature).ThenBy(c => c.Rank).Select(c => new { c.Feature, c.Rank, c.Layer, c.Unit, c.Correlation }).ToListAsync(ct)) : NoRun(id));

        runs.MapGet("/samples", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await RunExists(db, id, ct) ? Results.Ok(await db.Samples.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct)) : NoRun(id));

        runs.MapPost("/samples", async (long id, HttpRequest http, RnnSweepDbContext db, IBackgroundJobClient jobs, CancellationToken ct) =>
        {
            var waitSeconds = ApiErrors.QueryDouble(http, "wait", 0, MaxSampleWait.TotalSeconds);
            var request = await ApiErrors.ReadJsonAsync<SampleRequest>(http, ct);
            if (!await RunExists(db, id, ct)) return NoRun(id);
            var sampleId = await SampleRequests.RequestAsync(db, jobs, id, request, "id", ct);
            var wait = waitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultSampleWait;
            var done = await SampleRequests.WaitAsync(db, sampleId, wait, ct);
            return done is null ? Results.Accepted($"/api/samples/{sampleId}", new { id = sampleId }) : Results.Created($"/api/samples/{sampleId}", done);
        }).AddEndpointFilter<ApiErrors>().WithMetadata(new RequestSizeLimitAttribute(SampleRequest.MaxBodyBytes));

        app.MapGet("/api/samples/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await db.Samples.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } s ? Results.Ok(s) : ApiErrors.NotFound("id", $"no sample {id}"));

        app.MapGet("/api/sweeps/{id:long}/ngram", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await db.Sweeps.AnyAsync(s => s.Id == id, ct)
                ? Results.Ok(await db.NGramBaselines.AsNoTracking().Where(n => n.SweepId == id).OrderBy(n => n.Order)
                    .Select(n => new { n.Order, n.Smoothing, n.TestLoss }).ToListAsync(ct))
                : ApiErrors.NotFound("id", $"no sweep {id}"));
    }

    private static Task<bool> RunExists(RnnSweepDbContext db, long id, CancellationToken ct) => db.Runs.AnyAsync(r => r.Id == id, ct);

    private static IResult NoRun(long id) => ApiErrors.NotFound("id", $"no run {id}");
}
