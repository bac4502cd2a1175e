using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// <c>GET /api/runs/{id}/model.pt</c> (the best checkpoint as a PyTorch state dict; 404 for no such run, 400 while it has no best checkpoint) and <c>GET /api/runs/{id}/model.json</c>
/// (its config: vocabulary, modules, sizes), as <c>rnnsweep export-model</c> writes them.
/// </summary>
public static class ModelExportApi
{
    public static void MapModelExportApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").AddEndpointFilter<ApiErrors>();
        api.MapGet("/{id:long}/model.pt", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
            var export = await ModelExport.CreateAsync(db, id, "id", ct);
            return Results.File(export.StateDict, "application/octet-stream", export.StateDictFileName);
        });
        api.MapGet("/{id:long}/model.json", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
            var export = await ModelExport.CreateAsync(db, id, "id", ct);
            return Results.Text(export.ConfigJson, "application/json");
        });
    }
}
