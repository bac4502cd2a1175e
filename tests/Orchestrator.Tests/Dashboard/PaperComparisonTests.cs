using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>The paper's numbers appear only beside a sweep on the paper's file with the paper's protocol.</summary>
public sealed class PaperComparisonTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    /// <summary>Gives a synthetic sweep the paper preset's protocol and, when <paramref name="paperFile"/>, the paper file's checksum.</summary>
    internal static async Task MakePaperLike(RnnSweepDbContext db, long sweepId, bool paperFile, bool paperProtocol, bool paperRows = true)
    {
        var sweep = await db.Sweeps.Include(s => s.Corpus).SingleAsync(s => s.Id == sweepId);
        var resolved = JsonSerializer.Deserialize<ResolvedSweep>(sweep.Spec, SpecResolver.Json)!;
        var preset = Presets.Find(Presets.Paper)!;
        resolved = paperProtocol
            ? resolved with { Hyperparameters = preset.Hyperparameters with { MaxEpochs = resolved.Hyperparameters.MaxEpochs }, MatchParameters = true, MatchLayers = paperRows }
            : resolved;
        sweep.Spec = JsonSerializer.Serialize(resolved, SpecResolver.Json);
        if (paperFile) sweep.Corpus!.Sha256 = PaperTable1.CorpusSha256;
        await db.SaveChangesAsync();
        if (paperFile)
        {
            await db.NGramBaselines.AddAsync(new NGramBaseline { SweepId = sweepId, Order = 20, Smoothing = "interpolated modified Kneser-Ney", TestLoss = 1.1864, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)]   // the LF War and Peace: per-byte losses differ by about 2 %
    [InlineData(true, false, false)]   // the paper's file with the default protocol (contiguous split, code points)
    [InlineData(true, true, false, false)] // rows by hidden size: an LSTM 3x64 has 2.5 times the parameters of the paper's
    public async Task SweepPage_ShowsPaperVsOurs_OnlyForThePapersFileAndProtocol(bool paperFile, bool paperProtocol, bool shown, bool paperRows = true)
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "paper-vs-ours", "warandpeace-paper", ["lstm", "gru"], [1, 2], [64, 128]);
        await using var db = orchestrator.Db();
        await MakePaperLike(db, sweepId, paperFile, paperProtocol, paperRows);

        var page = await orchestrator.Http.GetStringAsync($"/sweeps/{sweepId}");

        Assert.Equal(shown, page.Contains("Paper vs ours", StringComparison.Ordinal));
        Assert.Equal(shown, page.Contains("Table 1 (paper)", StringComparison.Ordinal));
        Assert.Equal(shown, page.Contains("Test loss (ours)", StringComparison.Ordinal));
        if (!shown) return;
        // The 20-gram: paper 1.195, ours 1.186, difference -0.009; LSTM 2x128's paper value.
        Assert.Contains("<td>20-gram (n-gram baseline)</td><td>1.195</td><td>1.186</td><td>−0.009</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td>LSTM 2 layers, size 128</td><td>1.227</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td>best model</td><td>1.077</td>", page, StringComparison.Ordinal);
    }
}
