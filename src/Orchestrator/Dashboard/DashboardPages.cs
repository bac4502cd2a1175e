using RnnSweep.Shared.Data;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The results dashboard: server-rendered pages over the same queries as the API, plus charts and assets.</summary>
public static class DashboardPages
{
    public static void MapDashboardPages(this IEndpointRouteBuilder app)
    {
        HangfireLinks.AddMenuEntry();
        app.MapDashboardAssets();
        app.MapCharts();
        app.MapPaperAnalysesPage();
        app.MapGet("/", (RnnSweepDbContext db, CancellationToken ct) => SweepListPage.RenderAsync(db, ct)).ExcludeFromDescription();
        app.MapGet("/sweeps/new", (RnnSweepDbContext db, CancellationToken ct) => SubmitPage.RenderAsync(db, ct)).ExcludeFromDescription();
        app.MapGet("/sweeps/{id:long}", (long id, RnnSweepDbContext db, CancellationToken ct) => SweepPage.RenderAsync(id, db, ct)).ExcludeFromDescription();
        app.MapGet("/runs/{id:long}", (long id, RnnSweepDbContext db, CancellationToken ct) => RunPage.RenderAsync(id, db, ct)).ExcludeFromDescription();
    }
}
