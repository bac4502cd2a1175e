namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// A command that cannot go on for a reason outside the input (every local Worker exited, say): <see cref="CliOptions.Guard"/>
/// prints its message as one line and exits 1, where bad input exits 2.
/// </summary>
public sealed class CommandFailedException(string message) : Exception(message);
