using Hangfire.Server;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// The id of the Hangfire job this execution performs, for the code of the job itself. Why: when Hangfire hands one
/// job to two Workers (a frozen Worker's job after its invisibility timeout), the execution that lost the run's lease
/// must not set that job's outcome, which belongs to the execution holding the lease; it can tell only by the job id.
/// </summary>
public sealed class CurrentJob : IServerFilter
{
    private static readonly AsyncLocal<string?> Id = new();

    /// <summary>The current job's id; null outside a Hangfire job.</summary>
    public static string? JobId => Id.Value;

    // Both run synchronously on the job's thread just before and after the job method, so the value flows into it.
    public void OnPerforming(PerformingContext context) => Id.Value = context.BackgroundJob.Id;

    public void OnPerformed(PerformedContext context) => Id.Value = null;
}
