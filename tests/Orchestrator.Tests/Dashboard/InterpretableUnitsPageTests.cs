using System.Text.RegularExpressions;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>The run page lists interpretable units with r and threshold, and the visualiser opens on the strongest.</summary>
public sealed partial class InterpretableUnitsPageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task RunPage_ShowsRAndThresholds_AndOpensTheVisualiserOnTheMostInterpretableUnit()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "units", "generated", ["lstm"], [2], [16]);
        await using (var db = orchestrator.Db())
        {
            var run = db.Runs.Single(r => r.SweepId == sweepId);
            db.CellActivations.Add(new CellActivation { RunId = run.Id, Text = "ab", Layers = 2, Steps = 2, Hidden = 16, Scale = 0.01f, Values = new byte[64] });
            db.InterpretableThresholds.AddRange(
                new InterpretableThreshold { RunId = run.Id, Feature = "inside_quotes", Threshold = 0.21, ShiftThreshold = 0.05, InitialThreshold = 0.21, Characters = 100_000, Streams = 100, Shifts = 19 },
                new InterpretableThreshold { RunId = run.Id, Feature = "line_position", Threshold = 0.33, ShiftThreshold = 0.33, InitialThreshold = 0.12, Characters = 100_000, Streams = 100, Shifts = 19 });
            db.InterpretableCells.AddRange(
                new InterpretableCell { RunId = run.Id, Feature = "inside_quotes", Rank = 1, Layer = 1, Unit = 7, Correlation = -0.81, Threshold = 0.21 },
                new InterpretableCell { RunId = run.Id, Feature = "line_position", Rank = 1, Layer = 0, Unit = 3, Correlation = 0.52, Threshold = 0.33 });
            await db.SaveChangesAsync();

            var page = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}");

            Assert.Matches(CellsOpenOn(), page);                                  // |-0.81| is the largest
            Assert.Contains("<td>-0.810</td><td>0.210</td>", page, StringComparison.Ordinal);
            Assert.Contains("100,000 validation characters in 100 streams", page, StringComparison.Ordinal);
            Assert.Contains("<td>line_position</td><td>0.330</td><td>0.330</td><td>0.120</td>", page, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("id=\"cells\"[^>]*data-layer=\"1\" data-unit=\"7\"")]
    private static partial Regex CellsOpenOn();
}
