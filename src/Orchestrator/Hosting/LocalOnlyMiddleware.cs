using System.Net;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// Refuses requests that do not come from this machine. The Orchestrator binds to loopback by default;
/// this guards a bind to another address until authentication is configured.
/// </summary>
public sealed class LocalOnlyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsLocal(context.Connection.RemoteIpAddress))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("RnnSweep answers local requests only.");
            return;
        }
        await next(context);
    }

    public static bool IsLocal(IPAddress? remote) => remote is null || IPAddress.IsLoopback(remote);
}
