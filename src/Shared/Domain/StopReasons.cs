namespace RnnSweep.Shared.Domain;

/// <summary>
/// Stop reasons that both processes rely on: the Worker writes them to <c>runs.stop_reason</c>, and the Orchestrator
/// matches them (resume with a higher epoch cap continues runs that stopped at the lower one).
/// </summary>
public static class StopReasons
{
    public const string MaxEpochsPrefix = "reached maxEpochs ";

    public static string MaxEpochs(int maxEpochs) => MaxEpochsPrefix + maxEpochs;
}
