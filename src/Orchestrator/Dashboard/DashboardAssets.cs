using System.Reflection;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// The dashboard's hand-written CSS and JS (src/Orchestrator/wwwroot), embedded in the assembly so they are served
/// wherever the Orchestrator runs (a test host's output folder included), at <c>/assets/{file}</c>.
/// </summary>
public static class DashboardAssets
{
    private static readonly Assembly Assembly = typeof(DashboardAssets).Assembly;
    private static readonly string Version = Assembly.ManifestModule.ModuleVersionId.ToString("N");

    public static void MapDashboardAssets(this IEndpointRouteBuilder app) =>
        app.MapGet("/assets/{file}", (string file, HttpContext http) =>
        {
            var type = Path.GetExtension(file) switch { ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8", _ => null };
            var stream = type is null ? null : Assembly.GetManifestResourceStream("wwwroot/" + file);
            if (stream is null) return Results.NotFound();
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Stream(stream, type, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{Version}\""));
        }).ExcludeFromDescription();
}
