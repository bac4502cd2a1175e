using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Corpora;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>
/// A Worker on a second host: its own network namespace, reaching a PostgreSQL that listens on the link's address in
/// another namespace (the Orchestrator here reaches it by its Unix socket), with its own empty cache folder. It trains
/// a cell of a sweep whose corpus was built from a tarball it never saw, from the database alone, and keeps that
/// corpus on its disk by checksum.
/// </summary>
public sealed class SecondHostTests(ITestOutputHelper output)
{
    [Fact, Trait("Category", "WorkerProcess")]
    public async Task AWorkerOnAnotherHost_TrainsACell_OnACorpusItNeverSaw_FromTheDatabaseAlone()
    {
        using var link = NetworkLink.Create();
        var dataDir = Path.Combine(TestPaths.Home, $"test-pg-second-host-{Environment.ProcessId}");
        if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        var workerDir = Directory.CreateTempSubdirectory("rnnsweep-second-host-").FullName;
        using var tree = new SourceTree();
        LocalPostgres? pg = null;
        WorkerProcess? worker = null;
        try
        {
            pg = await LocalPostgres.StartAsync(dataDir, fsync: false, maxConnections: 100);
            await pg.StopServerAsync();
            await File.AppendAllTextAsync(Path.Combine(dataDir, "pg_hba.conf"), $"host    all   all   {link.Network}   scram-sha-256\n");
            await pg.StartServerInNamespaceAsync(link.DatabaseNamespace, link.DatabaseAddress);
            var password = File.ReadLines(pg.PasswordFile).Select(l => l.Split(':')).First(f => f[3] == LocalPostgres.UserName)[4];
            var overSocket = new NpgsqlConnectionStringBuilder
            {
                Host = dataDir, Port = pg.Port, Username = LocalPostgres.UserName, Password = password, Database = LocalPostgres.DatabaseName,
            }.ConnectionString;
            var overLink = new NpgsqlConnectionStringBuilder(overSocket) { Host = link.DatabaseAddress, Timeout = 30 }.ConnectionString;

            // The Worker host has its loopback and the link, nothing else.
            var addresses = link.WorkerAddresses();
            Assert.Contains(link.WorkerAddress, addresses);
            Assert.Equal(2, addresses.Trim().Split('\n').Length);

            await using var host = await OrchestratorHost.StartAsync(overSocket, "--Corpora:ChunkBytes=4096",
                $"--Corpora:CacheDir={Path.Combine(tree.Dir, "cache")}", $"--Corpora:SourceRoots:0={tree.Dir}", "--Reaper:Interval=00:00:02");
            using var response = await host.Http.PostAsJsonAsync("/api/sweeps", new
            {
                name = "second host",
                corpus = "tree-code",
                corpusRecipe = new { source = tree.TarXz, include = new[] { "*.c", "*.h" }, seed = 3 },
                models = new[] { "lstm" }, layers = new[] { 1 }, hiddenSizes = new[] { 16 },
                hyperparameters = new { maxEpochs = 2, seqLength = 16, batchSize = 4, learningRate = 0.01, seed = 5, trainFraction = 0.8, valFraction = 0.1, testFraction = 0.1 },
            });
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            var sweepId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

            Corpus corpus;
            byte[] stored;
            await using (var db = host.Db())
            {
                corpus = await db.Sweeps.Where(s => s.Id == sweepId).Select(s => s.Corpus!).SingleAsync();
                Assert.True(corpus.Chunks > 1, $"{corpus.Bytes} bytes in {corpus.Chunks} chunks");
                var recipe = JsonDocument.Parse(corpus.Recipe!).RootElement;
                Assert.Equal(["*.c", "*.h"], recipe.GetProperty("include").EnumerateArray().Select(g => g.GetString()));
                stored = [.. (await db.CorpusChunks.Where(c => c.CorpusId == corpus.Id).OrderBy(c => c.Index).ToListAsync()).SelectMany(c => c.Data)];
            }
            Assert.Equal(corpus.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored)));

            Assert.Empty(Directory.GetFileSystemEntries(workerDir));
            worker = WorkerProcess.Start(overLink, "second-host", new Dictionary<string, string> { ["Worker__CacheDir"] = workerDir }, link.OnWorkerHost);
            var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweepId, TimeSpan.FromMinutes(5), () => worker.Output);
            var run = Assert.Single(runs);
            Assert.True(run.Status == RunStatus.Succeeded, $"{run.Status}: {run.Error}\n{worker.Output}");
            Assert.Equal(2, run.EpochsDone);
            Assert.StartsWith("second-host", run.TrainedBy);
            // The corpus came over the link into the Worker's own folder, whole, named by its checksum.
            var cached = Path.Combine(workerDir, corpus.Sha256 + ".txt");
            Assert.Equal(stored, await File.ReadAllBytesAsync(cached));
        }
        finally
        {
            if (worker is not null)
            {
                worker.WriteTo(output);
                await worker.DisposeAsync();
            }
            if (pg is not null)
            {
                await pg.DisposeAsync();
                try { Directory.Delete(dataDir, recursive: true); File.Delete(pg.PasswordFile); } catch (IOException) { }
            }
            try { Directory.Delete(workerDir, recursive: true); } catch (IOException) { }
        }
    }
}
