using Microsoft.AspNetCore.Antiforgery;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// Refuses cross-site writes (OWASP CSRF cheat sheet: Fetch Metadata and Origin checks, plus synchronizer tokens).
/// A request that changes anything (any method but GET, HEAD, OPTIONS, TRACE) is let through only when it comes
/// from the dashboard's own origin with a valid ASP.NET Core antiforgery token, or carries no browser marker at all
/// (no <c>Origin</c>, no <c>Sec-Fetch-Site</c>: the CLI, curl, scripts; browsers send <c>Origin</c> on every
/// cross-origin POST, <c>no-cors</c> fetches and form posts included). A page served by another user on another
/// port of this machine is same-site but not same-origin, so <c>same-site</c> is refused too.
/// The Hangfire dashboard also checks the token itself (Hangfire.AspNetCore uses <see cref="IAntiforgery"/>).
/// </summary>
public sealed class SameOriginWrites(RequestDelegate next, IAntiforgery antiforgery, ILogger<SameOriginWrites> log)
{
    public const string HangfirePath = "/hangfire";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            await next(context);
            return;
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        var origin = request.Headers.Origin.ToString();
        // Hangfire's dashboard refuses any write without a token anyway; checking it here first makes a malformed
        // form body a 403 rather than an exception inside Hangfire.
        var hangfire = request.Path.StartsWithSegments(HangfirePath);
        if (site.Length == 0 && origin.Length == 0 && !hangfire)
        {
            await next(context); // not a browser: nothing a web page could have sent
            return;
        }
        var own = $"{request.Scheme}://{request.Host}";
        FieldError? refusal = null;
        if (site.Length > 0 && site != "same-origin")
        {
            refusal = new FieldError("Sec-Fetch-Site", $"is '{site}': only pages of this dashboard ({own}) may change anything");
        }
        else if (origin.Length > 0 && !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase))
        {
            refusal = new FieldError("Origin", $"is '{origin}': only pages of this dashboard ({own}) may change anything");
        }
        else if (!await TokenIsValidAsync(context))
        {
            refusal = new FieldError(AntiforgeryHeader, "is missing or invalid: reload the page and try again");
        }
        if (refusal is not null)
        {
            log.LogWarning("Refused {Method} {Path}: {Field} {Message}", request.Method, request.Path, refusal.Field, refusal.Message);
            var problem = Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [refusal.Field] = [refusal.Message] } });
            await problem.ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The antiforgery check, here for the Hangfire dashboard too (it checks again itself): a malformed form body makes
    /// the token store throw, which is a refusal, not a server error.
    /// </summary>
    private async Task<bool> TokenIsValidAsync(HttpContext context)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    /// <summary>The header the dashboard's scripts send the antiforgery request token in (also Hangfire's).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";
}
