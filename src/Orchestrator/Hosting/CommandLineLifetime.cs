namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// The host's lifetime when the web application runs inside a CLI command: it starts and stops when the command says.
/// why: the default ConsoleLifetime takes SIGINT and SIGTERM for itself (cancelling the signal), so Ctrl+C stopped the
/// web host but not the command around it, which went on serving; <see cref="Cli.ShutdownSignals"/> owns the signals.
/// </summary>
public sealed class CommandLineLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
