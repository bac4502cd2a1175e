using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>A stored corpus: its bytes are kept once (by SHA-256) under any number of names.</summary>
/// <param name="Name">The name it was first stored under.</param>
/// <param name="Names">Every name that finds it, sorted.</param>
/// <param name="Characters">Unicode code points; <paramref name="VocabularySize"/> counts the distinct ones.</param>
/// <param name="ByteVocabularySize">Distinct byte values (the <c>bytes</c> vocabulary's size).</param>
/// <param name="Chunks">How many pieces of at most 16 MiB (by default) hold the bytes in the database.</param>
/// <param name="Recipe">For a corpus built from source files: source and its SHA-256, globs, seed, separator, cap and the
/// files taken, as stored; null for a text given as it is.</param>
public sealed record CorpusInfo(long Id, string Name, IReadOnlyList<string> Names, string Sha256, long Bytes, long Characters, int VocabularySize,
    int ByteVocabularySize, int Chunks, DateTimeOffset CreatedAt, JsonElement? Recipe);

/// <summary>The answer to an upload: the corpus that the name now finds.</summary>
/// <param name="Name">The name asked for (the bytes may have been stored first under another).</param>
public sealed record CorpusStored(long Id, string Name, string Sha256, long Bytes, long Characters, int VocabularySize);

/// <summary><c>/api/corpora</c>: upload a corpus once (raw UTF-8 body), then name it in any number of sweeps.</summary>
public static class CorpusApi
{
    public static void MapCorpusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/corpora").WithTags("Corpora");
        api.MapGet("/", ListAsync).WithSummary("Every stored corpus with its names");
        api.MapPut("/{name}", PutAsync).AddEndpointFilter<ApiErrors>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Accepts<string>("text/plain").WithSummary("Store a corpus (the raw UTF-8 body) under a name");
    }

    public static async Task<Ok<List<CorpusInfo>>> ListAsync(RnnSweepDbContext db, CancellationToken ct) => TypedResults.Ok((await db.Corpora.AsNoTracking().OrderBy(c => c.Id)
        .Select(c => new
        {
            c.Id, c.Name, Names = db.CorpusNames.Where(n => n.CorpusId == c.Id).OrderBy(n => n.Name).Select(n => n.Name).ToList(),
            c.Sha256, c.Bytes, c.Characters, c.VocabularySize, c.ByteVocabularySize, c.Chunks, c.CreatedAt, c.Recipe,
        }).ToListAsync(ct))
        .Select(c => new CorpusInfo(c.Id, c.Name, c.Names, c.Sha256, c.Bytes, c.Characters, c.VocabularySize, c.ByteVocabularySize, c.Chunks, c.CreatedAt,
            c.Recipe is null ? null : JsonSerializer.Deserialize<JsonElement>(c.Recipe)))
        .ToList());

    public static async Task<Results<Created<CorpusStored>, Ok<CorpusStored>>> PutAsync(
        string name, HttpContext http, CorpusSource source, CorpusStore store, RnnSweepDbContext db, CancellationToken ct)
    {
        if (!SpecResolver.CorpusName().IsMatch(name)) throw new ValidationException("name", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        using var content = PreparedCorpus.FromBytes(await ReadBodyAsync(http, source.MaxBytes, ct), source.MaxBytes, "body");
        var (corpus, created) = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var stored = await store.AddAsync(name, content, ct, field: "name");
            await tx.CommitAsync(ct);
            return stored;
        });
        // The name asked for, which now finds these bytes (stored once, perhaps first under another name).
        var body = new CorpusStored(corpus.Id, name, corpus.Sha256, corpus.Bytes, corpus.Characters, corpus.VocabularySize);
        return created ? TypedResults.Created($"/api/corpora/{corpus.Id}", body) : TypedResults.Ok(body);
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
