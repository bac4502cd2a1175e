using Npgsql;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>Row counts of every results table and of Hangfire's jobs: "nothing was written" made checkable.</summary>
public static class RowCounts
{
    public static async Task<Dictionary<string, long>> ReadAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in new[] { "corpora", "corpus_chunks", "corpus_names", "sweeps", "runs", "epoch_metrics", "checkpoints", "hangfire.job" })
        {
            await using var cmd = new NpgsqlCommand($"select count(*) from {table}", conn);
            counts[table] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        return counts;
    }
}
