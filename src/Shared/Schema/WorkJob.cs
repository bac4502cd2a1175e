namespace RnnSweep.Shared.Schema;

/// <summary>
/// The Hangfire job last created for a piece of pending work other than training (an n-gram baseline, a run's
/// analyses, a requested sample), so the dispatcher can tell work with a live job from work whose job was lost.
/// What is pending is derived from the results tables; this only remembers the job and how often it was dispatched.
/// </summary>
public sealed class WorkJob
{
    /// <summary>One of <see cref="Domain.WorkKind"/>.</summary>
    public required string Kind { get; set; }
    /// <summary>The sweep (n-gram baseline), run (analyses) or sample the work is for.</summary>
    public long SubjectId { get; set; }
    public required string JobId { get; set; }
    /// <summary>
    /// How many jobs were created for it since its result was last stored or it became pending again (the row is
    /// deleted then, <c>RunLife.ForgetWorkJobsAsync</c>); the dispatcher gives up after <c>WorkDispatcher.MaxDispatches</c>.
    /// </summary>
    public int Dispatches { get; set; }
    public DateTimeOffset DispatchedAt { get; set; }
}
