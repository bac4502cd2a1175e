using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>A stored corpus's vocabulary, as the Worker builds it (the sorted symbols of the whole text), read chunk by chunk.</summary>
public static class CorpusVocabulary
{
    public static async Task<Vocabulary> OfAsync(RnnSweepDbContext db, long corpusId, string kind, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != ConnectionState.Open;
        if (opened) await connection.OpenAsync(ct);
        try
        {
            using var scan = await CorpusChunks.ScanAsync(connection, corpusId, ct);
            return new Vocabulary(kind, scan.Symbols(kind));
        }
        finally
        {
            if (opened) await connection.CloseAsync();
        }
    }
}
