using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Api;

/// <summary><c>/api/corpora</c>: upload a corpus once (raw UTF-8 body), then name it in any number of sweeps.</summary>
public static class CorpusApi
{
    public static void MapCorpusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/corpora");

        api.MapGet("/", async (RnnSweepDbContext db, CancellationToken ct) => (await db.Corpora.AsNoTracking().OrderBy(c => c.Id)
            .Select(c => new
            {
                c.Id, c.Name, Names = db.CorpusNames.Where(n => n.CorpusId == c.Id).OrderBy(n => n.Name).Select(n => n.Name).ToList(),
                c.Sha256, c.Bytes, c.Characters, c.VocabularySize, c.ByteVocabularySize, c.Chunks, c.CreatedAt, c.Recipe,
            }).ToListAsync(ct))
            // the recipe (source, its SHA-256, globs, seed, separator, cap, files) as JSON, for corpora built from source files
            .Select(c => new
            {
                c.Id, c.Name, c.Names, c.Sha256, c.Bytes, c.Characters, c.VocabularySize, c.ByteVocabularySize, c.Chunks, c.CreatedAt,
                Recipe = c.Recipe is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonDocument.Parse(c.Recipe).RootElement,
            }));

        api.MapPut("/{name}", async (string name, HttpContext http, CorpusSource source, CorpusStore store, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!SpecResolver.CorpusName().IsMatch(name)) throw new ValidationException("name", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
            using var content = PreparedCorpus.FromBytes(await ReadBodyAsync(http, source.MaxBytes, ct), source.MaxBytes, "body");
            var (corpus, created) = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var stored = await store.AddAsync(name, content, ct);
                await tx.CommitAsync(ct);
                return stored;
            });
            // The name asked for, which now finds these bytes (stored once, perhaps first under another name).
            var body = new { corpus.Id, Name = name, corpus.Sha256, corpus.Bytes, corpus.Characters, corpus.VocabularySize };
            return created ? Results.Created($"/api/corpora/{corpus.Id}", body) : Results.Ok(body);
        }).AddEndpointFilter<ApiErrors>();
    }

    /// <summary>Reads the raw body up to the corpus size limit; a larger one is refused with 413 before it is stored.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        if (http.Request.ContentLength > maxBytes) throw new BadHttpRequestException($"the corpus has {http.Request.ContentLength} bytes; at most {maxBytes} are accepted", StatusCodes.Status413PayloadTooLarge);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new BadHttpRequestException($"the corpus is larger than {maxBytes} bytes", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
