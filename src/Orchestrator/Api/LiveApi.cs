using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// <c>GET /api/sweeps/{id}/live?since=...</c>: what the dashboard's sweep page polls. Only the cells that can still
/// change (queued, running) and those that finished since <c>since</c> are returned, with the counts by status and the
/// n-gram baseline: one small query per poll however large the sweep.
/// </summary>
public static class LiveApi
{
    /// <summary>Workers stamp finished_at with their own clocks; a margin covers modest skew (patching a cell twice is harmless).</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromSeconds(30);

    /// <param name="Now">The server's time: the <c>since</c> of the next poll.</param>
    /// <param name="Counts">Runs of the sweep by status, every status present.</param>
    public sealed record LiveSweep(DateTimeOffset Now, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<LiveCell> Cells, IReadOnlyList<LiveNgram> Ngram);

    /// <summary>A cell that may have changed. Losses are of the best checkpoint in nats per character, null until known.</summary>
    /// <param name="Note">Why the run failed (its error) or stopped (its stop reason).</param>
    public sealed record LiveCell(long RunId, string Status, int EpochsDone, double? TrainLoss, double? ValLoss, double? TestLoss, string? Note);

    /// <summary>The sweep's n-gram baseline at one order, test loss in nats per character.</summary>
    public sealed record LiveNgram(int Order, double TestLoss);

    public static void MapLiveApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/sweeps/{id:long}/live", GetAsync)
            .AddEndpointFilter<ApiErrors>().WithTags("Sweeps")
            .WithSummary("The cells of a sweep that changed since a time (queued, running, or finished since then), for live dashboards")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DescribesQuery("since", JsonSchemaType.String, "an ISO 8601 time: only the cells changed since then", "date-time");
    }

    public static async Task<Results<Ok<LiveSweep>, ProblemHttpResult>> GetAsync(long id, HttpRequest http, RnnSweepDbContext db, CancellationToken ct) =>
        await LoadAsync(db, id, ApiErrors.QueryTime(http, "since"), ct) is { } live ? TypedResults.Ok(live) : ApiErrors.NotFound("id", $"no sweep {id}");

    public static async Task<LiveSweep?> LoadAsync(RnnSweepDbContext db, long id, DateTimeOffset? since, CancellationToken ct)
    {
        if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) return null;
        var now = DateTimeOffset.UtcNow;
        var earliest = DateTimeOffset.MinValue.AddYears(1);
        var from = since is { } t && t > earliest ? t - ClockMargin : earliest; // a time near year 1 must not underflow
        var changing = new[] { RunStatus.Queued, RunStatus.Running };
        var cells = await db.Runs.AsNoTracking()
            .Where(r => r.SweepId == id && (changing.Contains(r.Status) || r.FinishedAt == null || r.FinishedAt >= from))
            .OrderBy(r => r.Id)
            // A running cell's note is its lease when that has lapsed ("lease expired 12 s ago, waiting for takeover").
            .Select(r => new LiveCell(r.Id, r.Status, r.EpochsDone, r.TrainLoss, r.ValLoss, r.TestLoss,
                r.Error ?? r.StopReason ?? LeaseState.ExpiredText(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now)))
            .ToListAsync(ct);
        var counts = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).GroupBy(r => r.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var ngram = await db.NGramBaselines.AsNoTracking().Where(n => n.SweepId == id).OrderBy(n => n.Order)
            .Select(n => new LiveNgram(n.Order, n.TestLoss)).ToListAsync(ct);
        return new LiveSweep(now, RunStatus.All.ToDictionary(s => s, s => counts.GetValueOrDefault(s)), cells, ngram);
    }
}
