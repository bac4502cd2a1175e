using System.Text.Json;
using Npgsql;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// A sweep written straight into the tables (no training): a grid of runs whose status and losses follow from the
/// row number, so pages, the CLI and the API can be compared on any size up to tens of thousands of runs.
/// </summary>
public static class SyntheticSweep
{
    public static async Task<long> CreateAsync(string connectionString, string name, string corpus, string[] models, int[] layers, int[] hiddenSizes, int maxEpochs = 10)
    {
        await using var db = Shared.Database.DatabaseSettings.CreateContext(connectionString);
        var text = "synthetic corpus text\n"u8.ToArray();
        var entity = new Corpus
        {
            Name = corpus, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. text, .. System.Text.Encoding.UTF8.GetBytes(name)])),
            Bytes = text.Length, Characters = text.Length, VocabularySize = 15, ByteVocabularySize = 15, Chunks = 1, CreatedAt = DateTimeOffset.UtcNow,
        };
        var hp = new Hyperparameters { MaxEpochs = maxEpochs };
        var resolved = new ResolvedSweep(name, corpus, null, [.. models.Select(ModelTypeNames.Parse)], layers, hiddenSizes, hp, "cpu");
        var sweep = new Sweep
        {
            Name = name, Spec = JsonSerializer.Serialize(resolved, SpecResolver.Json), SpecHash = Guid.NewGuid().ToString("N"),
            Corpus = entity, Queue = "cpu", CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Sweeps.Add(sweep);
        await db.SaveChangesAsync();

        // Row n of the grid: every 10th running, every 17th failed, every 13th queued, the rest succeeded with losses.
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using (var chunk = new NpgsqlCommand("insert into corpus_chunks (corpus_id, index, data) values ($1, 0, $2)", conn))
        {
            chunk.Parameters.AddWithValue(entity.Id);
            chunk.Parameters.AddWithValue(text);
            await chunk.ExecuteNonQueryAsync();
        }
        await using var cmd = new NpgsqlCommand("""
            insert into runs (sweep_id, model, layers, hidden, size, hyperparameters, seed, max_epochs, status, attempt, divergence_retries,
                              epochs_done, best_epoch, train_loss, val_loss, test_loss, error, created_at, started_at, finished_at)
            select @sweep, g.model, g.layers, g.hidden, g.hidden, @hp::jsonb, 1, @max, g.status, 1, 0,
                   case g.status when @running then g.n % @max when @queued then 0 else @max end,
                   case when g.status = @succeeded then @max end,
                   case when g.status = @succeeded then 1.0 + (g.n * 7919 % 1000) / 1000.0 end,
                   case when g.status = @succeeded then 1.1 + (g.n * 7919 % 1000) / 1000.0 end,
                   case when g.status = @succeeded then 1.2 + (g.n * 7919 % 1000) / 1000.0 end,
                   case when g.status = @failed then 'CUDA out of memory (synthetic)' end,
                   now(), case when g.status <> @queued then now() - interval '1 hour' end,
                   case when g.status in (@succeeded, @failed) then now() - interval '10 minutes' end
            from (
                select m.model, l.layers, h.hidden, n,
                       case when n % 10 = 0 then @running when n % 17 = 0 then @failed when n % 13 = 0 then @queued else @succeeded end as status
                from (select model, ordinality as mi from unnest(@models) with ordinality as t(model)) m
                cross join (select layers, ordinality as li from unnest(@layers) with ordinality as t(layers)) l
                cross join (select hidden, ordinality as hi from unnest(@hidden) with ordinality as t(hidden)) h
                cross join lateral (select ((m.mi - 1) * @nl * @nh + (l.li - 1) * @nh + h.hi)::int as n) k
            ) g
            """, conn);
        cmd.Parameters.AddWithValue("sweep", sweep.Id);
        cmd.Parameters.AddWithValue("hp", JsonSerializer.Serialize(hp, SpecResolver.Json));
        cmd.Parameters.AddWithValue("max", maxEpochs);
        foreach (var status in new[] { RunStatus.Running, RunStatus.Queued, RunStatus.Succeeded, RunStatus.Failed }) cmd.Parameters.AddWithValue(status, status);
        cmd.Parameters.AddWithValue("models", models);
        cmd.Parameters.AddWithValue("layers", layers);
        cmd.Parameters.AddWithValue("hidden", hiddenSizes);
        cmd.Parameters.AddWithValue("nl", layers.Length);
        cmd.Parameters.AddWithValue("nh", hiddenSizes.Length);
        await cmd.ExecuteNonQueryAsync();
        return sweep.Id;
    }
}
