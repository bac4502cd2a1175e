using System.Runtime.InteropServices;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM (<c>timeout</c>, <c>systemctl stop</c>, <c>docker stop</c>) cancel the running command's
/// token, so it stops its Workers (which release their runs) and the private PostgreSQL before it exits.
/// A second signal ends the process at once, as the default action would have.
/// </summary>
/// <remarks>
/// why our own handler rather than System.CommandLine's: that one gives a command 2 s and then returns from Main
/// while the command's clean-up is still running, which leaves the database and Workers behind.
/// </remarks>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public ShutdownSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Cancelled on the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cts.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1) return; // not cancelled: the runtime ends the process
        context.Cancel = true;
        Console.Error.WriteLine(context.Signal == PosixSignal.SIGINT
            ? "Stopping (Ctrl+C again ends at once, leaving running what this command started: its database, its Workers)..."
            : "Stopping (SIGTERM)...");
        // why not Cancel() here: the command's clean-up would run on the signal thread, holding up a second signal.
        _ = Task.Run(_cts.Cancel);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cts.Dispose();
    }
}
