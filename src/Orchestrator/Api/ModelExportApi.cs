using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// <c>GET /api/runs/{id}/model.pt</c> (the best checkpoint as a PyTorch state dict; 404 for no such run, 400 while it has no best checkpoint) and <c>GET /api/runs/{id}/model.json</c>
/// (its config: vocabulary, modules, sizes), as <c>rnnsweep export-model</c> writes them. How to load them: docs/model-export.md.
/// </summary>
public static class ModelExportApi
{
    /// <summary>The state dict's media type: bytes in <c>torch.save</c>'s zip format, not JSON.</summary>
    public const string StateDictContentType = "application/octet-stream";

    public static void MapModelExportApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").AddEndpointFilter<ApiErrors>().WithTags("Model export");
        api.MapGet("/{id:long}/model.pt", StateDictAsync)
            .Produces<byte[]>(StatusCodes.Status200OK, StateDictContentType).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The run's best checkpoint as a PyTorch state dict (torch.load reads it)");
        // Served as the file's own text (indented, names as ModelConfig spells them), so described here.
        api.MapGet("/{id:long}/model.json", ConfigAsync)
            .Produces<ModelConfig>(StatusCodes.Status200OK, "application/json").ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The run's model config: vocabulary, model type, sizes and the torch.nn modules to load the state dict into");
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> StateDictAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
        var export = await ModelExport.CreateAsync(db, id, "id", ct);
        return TypedResults.File(export.StateDict, StateDictContentType, export.StateDictFileName);
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> ConfigAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return ApiErrors.NotFound("id", $"no run {id}");
        var export = await ModelExport.CreateAsync(db, id, "id", ct);
        return TypedResults.Text(export.ConfigJson, "application/json");
    }
}
