namespace RnnSweep.Shared.Jobs;

/// <summary>
/// The Hangfire queues behind one sweep queue (<c>cpu</c>, <c>gpu</c>, ...). A run's training job goes to the sweep
/// queue itself; the short jobs (analyses, n-gram baselines, samples) go to its priority queue, which every Worker of
/// that queue also listens on and fetches first. So a sample asked for during a sweep, or a finished run's analysis,
/// waits for the next Worker that finishes a job, not for every training job queued before it, which on a paper-size
/// grid is hours.
/// </summary>
/// <remarks>
/// Hangfire leaves the order of a server's queues to the storage. Hangfire.PostgreSql fetches the waiting entry of
/// the alphabetically first queue (<c>order by fetchedat nulls first, queue, jobid</c>), so the priority queue is the
/// sweep queue's name behind <see cref="PriorityPrefix"/>. A sweep's queue starts with a letter (SpecResolver), and a
/// digit sorts before every letter under the C collation of RnnSweep's own server and under the usual language
/// collations, which also ignore the '-'.
/// </remarks>
public static class JobQueues
{
    public const string PriorityPrefix = "0-";

    /// <summary>The priority queue of <paramref name="queue"/>: its short jobs.</summary>
    public static string Priority(string queue) => PriorityPrefix + queue;

    /// <summary>The Hangfire queues of a Worker configured for <paramref name="queues"/>: each one's priority queue, then the queue.</summary>
    public static string[] ListenedTo(IEnumerable<string> queues) => [.. queues.SelectMany(q => new[] { Priority(q), q }).Distinct()];
}
