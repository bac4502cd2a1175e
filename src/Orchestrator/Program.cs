using RnnSweep.Orchestrator;
using RnnSweep.Orchestrator.Cli;

return await CliRoot.RunAsync(args);

/// <summary>Entry point; public so tests can host the web application.</summary>
public partial class Program;
