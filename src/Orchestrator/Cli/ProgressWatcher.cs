using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// Prints a line whenever a sweep's progress changes, until every run has reached a final status and the analyses
/// of its trained runs are stored (or <see cref="AnalysisWait"/> has passed since training ended).
/// </summary>
public static class ProgressWatcher
{
    /// <summary>
    /// How long to wait for analyses once every run is final. Why wait at all: 'rnnsweep sweep' stops its Workers
    /// next, and an analysis cut short leaves the last cells' samples and gates off the dashboard.
    /// </summary>
    public static readonly TimeSpan AnalysisWait = TimeSpan.FromMinutes(10);

    /// <summary>One run as the progress line needs it; <paramref name="Leased"/> is false when no Worker holds its lease.</summary>
    public sealed record RunProgress(string Model, int Layers, int Hidden, string Status, int EpochsDone, bool Unanalysed, bool Leased, long Id = 0);

    /// <summary>"3/9 runs done; training lstm 2x64 (4 epochs done); waiting for takeover gru 1x77 (19 epochs done)".</summary>
    /// <param name="computingNGram">A Worker is computing the sweep's n-gram baseline: said, so that a Worker not
    /// training is not taken for an idle one.</param>
    public static string Line(IReadOnlyList<RunProgress> runs, bool computingNGram = false)
    {
        static string Describe(RunProgress r) => $"{r.Model} {r.Layers}x{r.Hidden} ({r.EpochsDone} {(r.EpochsDone == 1 ? "epoch" : "epochs")} done)";
        var done = runs.Count(r => RunStatus.IsFinal(r.Status));
        var running = runs.Where(r => r.Status == RunStatus.Running && r.Leased).Select(Describe).ToList();
        var waiting = runs.Where(r => r.Status == RunStatus.Running && !r.Leased).Select(Describe).ToList();
        var failed = runs.Count(r => r.Status is RunStatus.Failed or RunStatus.Diverged);
        var cancelled = runs.Count(r => r.Status == RunStatus.Cancelled);
        var analysing = done == runs.Count ? runs.Count(r => r.Unanalysed) : 0;
        // "done" counts every final run; the ones that did not train to the end are said, so "9/9" is not read as nine results.
        var unfinished = string.Join(", ", new[] { failed > 0 ? $"{failed} failed or diverged" : null, cancelled > 0 ? $"{cancelled} cancelled" : null }.OfType<string>());
        return $"{done}/{runs.Count} runs done" + (unfinished.Length > 0 ? $" ({unfinished})" : "") +
               (running.Count > 0 ? "; training " + string.Join(", ", running) : "") +
               (waiting.Count > 0 ? $"; {LeaseState.WaitingForTakeover} " + string.Join(", ", waiting) : "") +
               (computingNGram ? "; computing the n-gram baseline" : "") +
               (analysing > 0 ? $"; analysing {analysing} run{(analysing == 1 ? "" : "s")}" : "");
    }

    /// <summary>Whether a Worker is computing the sweep's n-gram baseline now: its job is processing and no rows are stored yet.</summary>
    public static Task<bool> ComputingNGramAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct) => db.Database.SqlQueryRaw<bool>($$"""
        select exists (select 1 from work_jobs w join {{DatabaseSettings.HangfireSchema}}.job j on j.id = w.job_id::bigint
                       where w.kind = {0} and w.subject_id = {1} and j.statename = {2})
           and not exists (select 1 from ngram_baselines b where b.sweep_id = {1}) as "Value"
        """, WorkKind.NGramBaseline, sweepId, Hangfire.States.ProcessingState.StateName).SingleAsync(ct);

    /// <param name="workersAlive">When given and false, no local Worker is left to finish the sweep: stop waiting.</param>
    public static async Task WaitAsync(IHost app, long sweepId, CancellationToken ct, Func<bool>? workersAlive = null)
    {
        var last = "";
        DateTime? trained = null;
        while (true)
        {
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
                var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId)
                    .Select(r => new RunProgress(r.Model, r.Layers, r.Hidden, r.Status, r.EpochsDone, r.TestLoss != null && r.AnalyzedAt == null,
                        // On the database's clock (now()): a run whose Worker froze or died keeps status running until
                        // the reaper dispatches it again, but nobody is training it.
                        r.LeaseOwner != null && r.LeaseExpiresAt > DateTimeOffset.UtcNow, r.Id))
                    .ToListAsync(ct);
                var done = runs.Count(r => RunStatus.IsFinal(r.Status));
                // An analysis the dispatcher gave up will not come: not waited for, and said once at the end.
                var givenUp = done == runs.Count
                    ? await GivenUpWork.LoadAsync(db, WorkKind.Analysis, [.. runs.Where(r => r.Unanalysed).Select(r => r.Id)], ct)
                    : new Dictionary<long, GivenUpWork>();
                runs = [.. runs.Select(r => givenUp.ContainsKey(r.Id) ? r with { Unanalysed = false } : r)];
                var line = Line(runs, await ComputingNGramAsync(db, sweepId, ct));
                var analysing = done == runs.Count ? runs.Count(r => r.Unanalysed) : 0;
                if (line != last) Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
                last = line;
                if (done == runs.Count)
                {
                    trained ??= DateTime.UtcNow;
                    if (analysing == 0)
                    {
                        foreach (var (run, work) in givenUp.OrderBy(g => g.Key)) Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] run {run}: {work.Describe("its analysis")}");
                        return;
                    }
                    if (DateTime.UtcNow - trained > AnalysisWait)
                    {
                        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {analysing} analyses are not stored yet; they run when a Worker is next up");
                        return;
                    }
                }
                if (workersAlive?.Invoke() == false)
                {
                    throw new CommandFailedException("every local Worker process has exited (see its output above); the sweep is not finished, and running the same command again resumes it");
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }
}
