using System.Net;
using System.Security.Cryptography;
using System.Text;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;
using RnnSweep.Orchestrator.LocalCluster;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// Every request passes here first. Loopback requests are admins (unless configured otherwise); any other request
/// needs HTTP Basic credentials of a configured user. Viewers may only read: GET and HEAD, and a read-only
/// Hangfire dashboard.
/// </summary>
public sealed class AccessControl(RequestDelegate next, IOptions<AuthOptions> options)
{
    private const string RoleKey = "rnnsweep.role";

    public async Task InvokeAsync(HttpContext context)
    {
        var auth = options.Value;
        var role = IsLoopback(context.Connection.RemoteIpAddress) && auth.AllowLocalWithoutLogin ? Roles.Admin : Authenticate(context, auth);
        if (role is null)
        {
            if (auth.Users.Count == 0)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("RnnSweep answers requests from this machine only; configure Auth:Users to allow others.");
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"RnnSweep\", charset=\"UTF-8\"";
            return;
        }
        var writes = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        // The Hangfire dashboard polls its counters with a POST to /hangfire/stats: the one write a viewer may send.
        if (role == Roles.Viewer && writes && !context.Request.Path.StartsWithSegments("/hangfire/stats"))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("Viewers may only read.");
            return;
        }
        context.Items[RoleKey] = role;
        await next(context);
    }

    public static string? RoleOf(HttpContext context) => context.Items[RoleKey] as string;

    public static bool IsLoopback(IPAddress? remote) => remote is not null && IPAddress.IsLoopback(remote);

    private static string? Authenticate(HttpContext context, AuthOptions auth)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0) return null;
        var (name, password) = (decoded[..colon], decoded[(colon + 1)..]);
        var user = auth.Users.FirstOrDefault(u => u.Name == name && u.Password.Length > 0);
        // Constant-time comparison: a wrong password takes as long as a nearly right one.
        return user is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(user.Password), Encoding.UTF8.GetBytes(password))
            ? user.Role
            : null;
    }
}

/// <summary>The Hangfire dashboard follows <see cref="AccessControl"/>: any known role sees it, only admins act in it.</summary>
public sealed class HangfireAccess : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => AccessControl.RoleOf(context.GetHttpContext()) is not null;

    public static bool IsReadOnly(DashboardContext context) => AccessControl.RoleOf(context.GetHttpContext()) != Roles.Admin;
}
