using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>Section 4.2 as SQL: the views over test_predictions and ngram_predictions.</summary>
public sealed class PredictionViewsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    public sealed record Comparison(long Characters, double MeanPModel, double MeanPNgram, long ErrorsModel, long ErrorsNgram, long ErrorsBoth, long ErrorsModelOnly, long ErrorsNgramOnly);
    public sealed record ByCharacter(int Symbol, string Character, long Occurrences, double MeanPModel, double MeanPNgram);

    [Fact]
    public async Task Views_GiveErrorOverlapAndMeanProbabilityPerCharacter_OverScoredPositions()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "predictions", "generated", ["lstm"], [1], [16]);
        await using var db = orchestrator.Db();
        var run = db.Runs.Single(r => r.SweepId == sweepId);
        // Positions: 0 not scored (NaN); 1 'a' both right; 2 'b' model wrong only; 3 'a' n-gram wrong only; 4 'b' both wrong.
        db.TestPredictions.Add(new TestPrediction { RunId = run.Id, Probabilities = [float.NaN, 0.9f, 0.2f, 0.8f, 0.1f] });
        db.NGramPredictions.Add(new NGramPrediction { SweepId = sweepId, Order = 20, Symbols = ['x', 'a', 'b', 'a', 'b'], Probabilities = [float.NaN, 0.7f, 0.6f, 0.3f, 0.4f] });
        await db.SaveChangesAsync();

        var c = await db.Database.SqlQuery<Comparison>($"""
            select characters as "Characters", mean_p_model as "MeanPModel", mean_p_ngram as "MeanPNgram", errors_model as "ErrorsModel",
                   errors_ngram as "ErrorsNgram", errors_both as "ErrorsBoth", errors_model_only as "ErrorsModelOnly", errors_ngram_only as "ErrorsNgramOnly"
            from prediction_comparison where run_id = {run.Id}
            """).SingleAsync();
        var perCharacter = await db.Database.SqlQuery<ByCharacter>($"""
            select symbol as "Symbol", "character" as "Character", occurrences as "Occurrences", mean_p_model as "MeanPModel", mean_p_ngram as "MeanPNgram"
            from prediction_by_character where run_id = {run.Id} order by symbol
            """).ToListAsync();

        Assert.Equal((4L, 2L, 2L, 1L, 1L, 1L), (c.Characters, c.ErrorsModel, c.ErrorsNgram, c.ErrorsBoth, c.ErrorsModelOnly, c.ErrorsNgramOnly));
        Assert.Equal(0.5, c.MeanPModel, 1e-6);
        Assert.Equal(0.5, c.MeanPNgram, 1e-6);
        Assert.Equal(["a", "b"], perCharacter.Select(p => p.Character));
        Assert.Equal(0.85, perCharacter[0].MeanPModel, 1e-6);
        Assert.Equal(0.5, perCharacter[1].MeanPNgram, 1e-6);
        Assert.All(perCharacter, p => Assert.Equal(2L, p.Occurrences));
    }
}
