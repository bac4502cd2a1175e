using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Corpora;

/// <summary>Corpora in chunks: stored and read back byte for byte, and corpora stored in one field before are moved into chunks by the migration.</summary>
public sealed class CorpusChunksTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AnUpload_IsStoredInChunks_AndReadBackByteForByte()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Corpora:ChunkBytes=1000");
        var text = Encoding.UTF8.GetBytes(GeneratedText.Sentences(4_500, seed: 9) + " — ü");
        using var response = await host.Http.PutAsync("/api/corpora/chunked", new ByteArrayContent(text));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await using var db = host.Db();
        var corpus = await db.Corpora.SingleAsync();
        Assert.Equal((text.Length + 999) / 1000, corpus.Chunks);
        Assert.Equal(text.Distinct().Count(), corpus.ByteVocabularySize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(text)), corpus.Sha256);
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        using var copy = new MemoryStream();
        await CorpusChunks.CopyToAsync(connection, corpus.Id, copy, CancellationToken.None);
        Assert.Equal(text, copy.ToArray());
    }

    [Fact]
    public async Task ACorpusStoredInOneField_IsMovedIntoChunks_ByTheMigration()
    {
        var connectionString = await postgres.CreateEmptyDatabaseAsync();
        await using (var db = DatabaseSettings.CreateContext(connectionString))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261130011120_CharPredictions");
        }
        var text = Encoding.UTF8.GetBytes(GeneratedText.Sentences(1_500_000, seed: 4));   // the size of a real corpus: the migration's SQL must be linear in it
        var sha = Convert.ToHexStringLower(SHA256.HashData(text));
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "insert into corpora (name, sha256, bytes, characters, vocabulary_size, content, created_at) values ('old', $1, $2, $2, 20, $3, now())", connection);
            insert.Parameters.AddWithValue(sha);
            insert.Parameters.AddWithValue((long)text.Length);
            insert.Parameters.AddWithValue(text);
            await insert.ExecuteNonQueryAsync();
        }
        await using (var db = DatabaseSettings.CreateContext(connectionString))
        {
            await db.Database.MigrateAsync();
            var corpus = await db.Corpora.SingleAsync();
            Assert.Equal((1, text.Distinct().Count(), sha), (corpus.Chunks, corpus.ByteVocabularySize, corpus.Sha256));
            var chunk = await db.CorpusChunks.SingleAsync();
            Assert.Equal(text, chunk.Data);
        }
    }
}
