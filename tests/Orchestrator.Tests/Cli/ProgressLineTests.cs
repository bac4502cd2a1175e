using RnnSweep.Orchestrator.Cli;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>The line `rnnsweep sweep` prints while it waits: a run nobody holds is not called training.</summary>
public sealed class ProgressLineTests
{
    [Fact]
    public void ARunningRunWithALapsedLease_IsWaitingForTakeover_NotTraining()
    {
        // What a frozen Worker leaves: status running, 19 epochs stored, its lease lapsed.
        var line = ProgressWatcher.Line([
            new("lstm", 1, 64, RunStatus.Succeeded, 31, Unanalysed: false, Leased: false),
            new("lstm", 3, 64, RunStatus.Running, 5, Unanalysed: false, Leased: true),
            new("gru", 1, 77, RunStatus.Running, 19, Unanalysed: false, Leased: false),
            new("rnn", 1, 141, RunStatus.Queued, 0, Unanalysed: false, Leased: false),
        ]);
        Assert.Equal($"1/4 runs done; training lstm 3x64 (5 epochs done); {LeaseState.WaitingForTakeover} gru 1x77 (19 epochs done)", line);
    }

    [Fact]
    public void FailedRunsAndPendingAnalyses_AreCounted()
    {
        var line = ProgressWatcher.Line([
            new("lstm", 1, 64, RunStatus.Succeeded, 3, Unanalysed: true, Leased: false),
            new("rnn", 2, 64, RunStatus.Diverged, 1, Unanalysed: false, Leased: false),
        ]);
        Assert.Equal("2/2 runs done (1 failed or diverged); analysing 1 run", line);
    }

    [Fact]
    public void AWorkerOnTheNGramBaseline_IsSaid()
    {
        var runs = new ProgressWatcher.RunProgress[] { new("lstm", 1, 64, RunStatus.Running, 1, Unanalysed: false, Leased: true), new("gru", 1, 64, RunStatus.Queued, 0, false, false) };
        Assert.Equal("0/2 runs done; training lstm 1x64 (1 epoch done); computing the n-gram baseline", ProgressWatcher.Line(runs, computingNGram: true));
        Assert.Equal("0/2 runs done; training lstm 1x64 (1 epoch done)", ProgressWatcher.Line(runs));
    }

    [Fact]
    public void CancelledRuns_AreNotCountedAsResults()
    {
        var line = ProgressWatcher.Line([
            new("lstm", 1, 64, RunStatus.Cancelled, 2, Unanalysed: false, Leased: false),
            new("gru", 1, 64, RunStatus.Cancelled, 0, Unanalysed: false, Leased: false),
            new("rnn", 1, 64, RunStatus.Failed, 0, Unanalysed: false, Leased: false),
        ]);
        Assert.Equal("3/3 runs done (1 failed or diverged, 2 cancelled)", line);
    }
}
