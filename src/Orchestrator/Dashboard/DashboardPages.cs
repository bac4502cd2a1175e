using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.WebEncoders;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// The results dashboard: Razor components rendered on the server (ComponentPage, HTML-encoded by default)
/// over the same queries as the API, plus charts and assets. Live updates are fragments rendered by the same
/// components (/fragments/...), which the scripts swap in: each piece of markup has one renderer, the server.
/// </summary>
public static class DashboardPages
{
    /// <summary>The component renderer; encoding leaves non-ASCII text (×, ★, −, ·) as it is, still escaping markup.</summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddWebEncoders();
        return services;
    }

    public static void MapDashboardPages(this IEndpointRouteBuilder app)
    {
        HangfireLinks.AddMenuEntry();
        app.MapDashboardAssets();
        app.MapCharts();
        app.MapGet("/", async (RnnSweepDbContext db, CancellationToken ct) =>
            Page<SweepListPage>(new { Rows = await SweepList.LoadAsync(db, ct), Now = DateTimeOffset.UtcNow })).ExcludeFromDescription();
        app.MapGet("/fragments/sweeps", async (RnnSweepDbContext db, CancellationToken ct) =>
            Page<SweepRows>(new { Rows = await SweepList.LoadAsync(db, ct), Now = DateTimeOffset.UtcNow })).ExcludeFromDescription();
        app.MapGet("/sweeps/new", async (string? preset, RnnSweepDbContext db, IOptions<CorpusOptions> options, CancellationToken ct) =>
        {
            // A link may open the form on another preset; an unknown one is said, not silently replaced by the default.
            // Empty (the form's own "none" value) opens on the default like no value.
            if (!string.IsNullOrEmpty(preset) && Presets.Find(preset) is null) return BadRequestPage($"preset: {Presets.Unknown(preset)}");
            var stored = await db.CorpusNames.AsNoTracking().Select(n => n.Name).Union(db.Corpora.Select(c => c.Name)).ToListAsync(ct);
            IReadOnlyList<string> corpora = [.. KnownCorpora.All.Select(c => c.Name).Concat(stored).Distinct().Order()];
            IReadOnlyList<string> urls = options.Value.SourceUrls is { Length: > 0 } configured ? configured : SourceRoots.DefaultUrls;
            return Page<SubmitPage>(new { Corpora = corpora, Roots = SourceRoots.Of(options.Value), Urls = urls, Preset = string.IsNullOrEmpty(preset) ? Presets.Quick : preset });
        }).ExcludeFromDescription();
        app.MapGet("/sweeps/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await SweepView.LoadAsync(db, id, ct) is { } view
                ? Page<SweepPage>(new { View = view, Estimate = await Sweeps.SweepEstimate.LoadAsync(db, id, ct) })
                : NotFoundPage($"There is no sweep {id}.")).ExcludeFromDescription();
        app.MapGet("/fragments/sweeps/{id:long}/live", async (long id, DateTimeOffset? since, long? best, RnnSweepDbContext db, CancellationToken ct) =>
            await SweepLiveView.LoadAsync(db, id, since, best, ct) is { } view ? Page<SweepLive>(new { View = view }) : Results.NotFound()).ExcludeFromDescription();
        app.MapGet("/sweeps/{id:long}/tables", async (long id, string? view, string? slice, RnnSweepDbContext db, CancellationToken ct) =>
        {
            try
            {
                return await SweepTablesView.LoadAsync(db, id, view, slice, ct) is { } tables ? Page<SweepTablesPage>(new { View = tables }) : NotFoundPage($"There is no sweep {id}.");
            }
            catch (ValidationException e)
            {
                return BadRequestPage(string.Join("; ", e.Errors.Select(f => $"{f.Field}: {f.Message}")));
            }
        }).ExcludeFromDescription();
        app.MapGet("/runs/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await RunView.LoadAsync(db, id, ct) is { } view ? Page<RunPage>(new { View = view }) : NotFoundPage($"There is no run {id}.")).ExcludeFromDescription();
        app.MapGet("/fragments/runs/{id:long}/status", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct) is { } run ? Page<RunStatusLine>(new { Run = run }) : Results.NotFound()).ExcludeFromDescription();
        app.MapGet("/fragments/samples/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await db.Samples.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } sample ? Page<SampleView>(new { Sample = sample }) : Results.NotFound()).ExcludeFromDescription();
        app.MapPaperAnalysesCharts();
        // Any other address a browser asks for (/sweeps/abc, /runs/99999999999999999999, a mistyped page) gets the 404
        // page it can show; the API, the fragments and the assets, read by scripts, answer a bare 404. GET only: a
        // fallback for other methods would be chosen over an endpoint that does not take the request as it is (a PUT
        // to the corpus upload without a content type answered 404 instead of being stored; HEAD of an existing page
        // would read "no page").
        app.MapFallback((HttpContext http) => new[] { "/api", "/fragments", "/assets" }.Any(p => http.Request.Path.StartsWithSegments(p))
            ? Results.NotFound()
            : NotFoundPage($"There is no page at {http.Request.Path}.")).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).ExcludeFromDescription();
        app.MapGet("/sweeps/{id:long}/analyses", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
            await SweepAnalysesView.LoadAsync(db, id, ct) is { } view ? Page<SweepAnalysesPage>(new { View = view }) : NotFoundPage($"There is no sweep {id}.")).ExcludeFromDescription();
    }

    /// <summary>A component rendered whole before it is sent (<see cref="ComponentPage{TComponent}"/>); pages carry an antiforgery token, so are not cached.</summary>
    private static IResult Page<TComponent>(object parameters) where TComponent : Microsoft.AspNetCore.Components.IComponent =>
        new ComponentPage<TComponent>(parameters);

    /// <summary>A 404 page in the dashboard's frame (fragments, fetched by scripts, answer a bare 404 instead).</summary>
    private static IResult NotFoundPage(string message) =>
        new ComponentPage<ErrorPage>(new { Title = "Not found", Message = message }, StatusCodes.Status404NotFound);

    /// <summary>A 400 page in the dashboard's frame, saying what in the address is wrong.</summary>
    private static IResult BadRequestPage(string message) =>
        new ComponentPage<ErrorPage>(new { Title = "Cannot show this page", Message = message }, StatusCodes.Status400BadRequest);
}
