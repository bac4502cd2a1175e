using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;
using Polly.Retry;

namespace RnnSweep.Shared.Runs;

/// <summary>
/// Which database errors are worth trying again, and the Polly pipeline that tries them again. Used inside the stores
/// (<see cref="RunLife"/>, the Worker's stores, the Orchestrator's dispatch), so that a PostgreSQL restart costs a
/// retry instead of a failed request or job. Every statement retried is a whole transaction, so trying it again is safe.
/// </summary>
public static class Transient
{
    /// <summary>A Worker waits this long for the database: training state lives in memory and is worth keeping.</summary>
    public static readonly TimeSpan WorkerPatience = TimeSpan.FromMinutes(5);
    /// <summary>A request to the Orchestrator waits this long: long enough for a restart, short enough for an HTTP client.</summary>
    public static readonly TimeSpan RequestPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True for errors of a database that is restarting or unreachable: 57P01 admin shutdown (what every pooled
    /// connection reports first after a restart), 57P02 crash shutdown, 57P03 cannot connect now, 53300 too many
    /// connections, 08xxx connection exceptions, and socket or stream errors. False for everything else (a bug, a
    /// constraint violation), which must surface at once.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        SocketException or IOException => true,
        // Hangfire wraps its storage's errors (enqueue after a restart) in its own exceptions.
        { InnerException: { } inner } when e.GetType().Namespace?.StartsWith("Hangfire", StringComparison.Ordinal) == true => IsTransient(inner),
        _ => false,
    };

    /// <summary>
    /// Retries transient errors with exponential back-off (250 ms doubling up to 5 s, jittered) for about
    /// <paramref name="patience"/>; then the last error is thrown.
    /// </summary>
    public static ResiliencePipeline Pipeline(TimeSpan patience, ILogger? log = null)
    {
        log ??= NullLogger.Instance;
        // 250 + 500 + 1000 + 2000 + 4000 ms for the first five tries, then one every 5 s.
        var attempts = 5 + (int)Math.Ceiling(Math.Max(0, (patience - TimeSpan.FromMilliseconds(7750)).TotalSeconds) / 5);
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = attempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    log.LogWarning("Database unavailable ({Error}); retrying in {Delay} ms", args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
    }
}
