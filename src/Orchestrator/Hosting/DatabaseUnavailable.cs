using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// A request that failed because PostgreSQL could not be reached, after the retries of the store it went through
/// (<see cref="Transient"/>, EF Core's execution strategy), answers 503 Service Unavailable with Retry-After and a
/// problem document saying so, instead of a 500 that reads like a bug (seen with the private server stopped: a sample
/// request answered 500 after 39 s). Any other exception is left to the default handling.
/// </summary>
internal sealed class DatabaseUnavailable(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before trying again: about a restart of the server.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!Unreachable(exception)) return false;
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable",
                Detail = $"PostgreSQL could not be reached. Try again in {RetryAfterSeconds} s.",
            },
        });
    }

    private static bool Unreachable(Exception e) =>
        Transient.IsTransient(e) || (e is RetryLimitExceededException or AggregateException && e.InnerException is { } inner && Unreachable(inner));
}
