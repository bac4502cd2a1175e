using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Work the dispatcher no longer creates jobs for: <see cref="WorkDispatcher.MaxDispatches"/> jobs for it ended without
/// its result (each failed, was deleted, or its Worker was lost) and the last is not live either. Pages and the CLI say
/// so where the result would be, instead of "not yet" forever; requeueing the last job in the Hangfire dashboard tries
/// again (the dispatcher leaves a live job alone).
/// </summary>
/// <param name="JobId">The Hangfire job created last: its history in the dashboard says why it ended.</param>
public sealed record GivenUpWork(string JobId, int Dispatches)
{
    /// <summary>"The analysis was given up after 5 jobs ended without its result; …", for <paramref name="what"/> = "The analysis".</summary>
    public string Describe(string what) =>
        $"{what} was given up after {Dispatches} jobs ended without its result. The last, Hangfire job {JobId}, says why in the " +
        "Hangfire dashboard (failed or deleted jobs); requeue it there to try again.";

    /// <summary>
    /// The given-up work among <paramref name="subjects"/> (sweeps for n-gram baselines, runs for analyses, samples), by
    /// subject. Ask only about subjects whose result is missing: a last job that finished with the result is not live either.
    /// </summary>
    /// <param name="kind">One of <see cref="Shared.Domain.WorkKind"/>.</param>
    public static async Task<IReadOnlyDictionary<long, GivenUpWork>> LoadAsync(RnnSweepDbContext db, string kind, IReadOnlyCollection<long> subjects, CancellationToken ct)
    {
        var given = new Dictionary<long, GivenUpWork>();
        if (subjects.Count == 0) return given;
        var candidates = await db.WorkJobs.AsNoTracking()
            .Where(w => w.Kind == kind && subjects.Contains(w.SubjectId) && w.Dispatches >= WorkDispatcher.MaxDispatches)
            .Select(w => new { w.SubjectId, w.JobId, w.Dispatches }).ToListAsync(ct);
        foreach (var w in candidates)
        {
            // The same test of a live job as the dispatcher's: waiting, or processing on a server that is still there.
            var live = await db.Database.SqlQueryRaw<bool>(IsLiveSql, w.JobId, RunLife.WaitingJobStates).SingleAsync(ct);
            if (!live) given[w.SubjectId] = new GivenUpWork(w.JobId, w.Dispatches);
        }
        return given;
    }

    /// <summary>{0}: the job id, {1}: <see cref="RunLife.WaitingJobStates"/>.</summary>
    private static readonly string IsLiveSql = $"select {RunLife.LiveJobSql("{0}::bigint", "{1}")} as \"Value\"";

    /// <summary><see cref="LoadAsync"/> for one subject; null when its work is not given up.</summary>
    public static async Task<GivenUpWork?> LoadOneAsync(RnnSweepDbContext db, string kind, long subject, CancellationToken ct) =>
        (await LoadAsync(db, kind, [subject], ct)).GetValueOrDefault(subject);
}
