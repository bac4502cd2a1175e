using System.Text.Json;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// The API answers samples and epochs with its own records, not the EF rows; a client sees the same fields (names
/// and values) as when the rows themselves were answered.
/// </summary>
public sealed class ApiAnswerShapeTests
{
    [Fact]
    public void SampleAnswer_HasTheSampleRowsFields()
    {
        var row = new Sample
        {
            Id = 3, RunId = 7, Method = "topk", Temperature = 0.5, TopK = 4, PrimeText = "The ", Seed = 9, Length = 20, Text = "cat",
            Error = null, CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), FinishedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 6, TimeSpan.Zero),
        };
        Assert.Equal(JsonSerializer.Serialize(row, JsonContract.Options), JsonSerializer.Serialize(SampleAnswer.Of(row), JsonContract.Options));
    }

    [Fact]
    public void EpochAnswer_HasTheEpochRowsFields()
    {
        var names = typeof(EpochMetric).GetProperties().Select(p => p.Name).ToArray();
        Assert.Equal(names, typeof(EpochAnswer).GetProperties().Select(p => p.Name).Where(n => n != "EqualityContract").ToArray());
    }
}
