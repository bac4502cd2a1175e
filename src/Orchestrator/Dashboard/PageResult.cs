using Microsoft.AspNetCore.Antiforgery;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// A dashboard page: the HTML of <see cref="Html.Page"/> with this visitor's antiforgery request token in
/// <c>&lt;meta name="csrf-token"&gt;</c> (its cookie set alongside), which the scripts send with every write.
/// </summary>
public sealed class PageResult(string html) : IResult
{
    public const string TokenMarker = "@@csrf-token@@";

    public string Html { get; } = html;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var tokens = httpContext.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(httpContext);
        var html = Html.Replace(TokenMarker, System.Net.WebUtility.HtmlEncode(tokens.RequestToken), StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8").ExecuteAsync(httpContext);
    }
}
