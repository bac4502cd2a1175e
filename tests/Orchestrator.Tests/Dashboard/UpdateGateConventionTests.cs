using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using ScottPlot;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>The GRU update gate is the paper's 1 - z: the chart and the database say so.</summary>
public sealed class UpdateGateConventionTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public void SaturationChart_TitlesTheUpdatePanelWithThePapersConvention()
    {
        var plot = Charts.Saturation([new Charts.SaturationPoint(0, "reset", 0.1, 0.2), new Charts.SaturationPoint(0, "update", 0.9, 0.0)]);

        Assert.Equal("reset gate", plot.GetPlot(0).Axes.Title.Label.Text);
        Assert.Equal(Charts.UpdateGateTitle, plot.GetPlot(1).Axes.Title.Label.Text);
        Assert.Contains("1 - z", Charts.UpdateGateTitle, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GateSaturationColumns_CarryCommentsNamingThePapersConvention()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        await using var db = orchestrator.Db();

        var comments = await db.Database.SqlQueryRaw<string>(
            "select coalesce(col_description('gate_saturation'::regclass, attnum), '') as \"Value\" from pg_attribute " +
            "where attrelid = 'gate_saturation'::regclass and attname in ('gate', 'left_fraction', 'right_fraction') order by attname").ToListAsync();

        Assert.Equal(3, comments.Count);
        Assert.All(comments, c => Assert.Contains("1 - z", c, StringComparison.Ordinal));
    }
}
