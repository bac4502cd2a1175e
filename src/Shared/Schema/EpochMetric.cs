namespace RnnSweep.Shared.Schema;

/// <summary>One row per (run, epoch); written with an upsert so a resumed epoch never duplicates a row.</summary>
public sealed class EpochMetric
{
    public long RunId { get; set; }
    public int Epoch { get; set; }
    public double TrainLoss { get; set; }
    public double ValLoss { get; set; }
    public double ValAccuracy { get; set; }
    public double LearningRate { get; set; }
    public double GradNorm { get; set; }
    public double CharsPerSecond { get; set; }
    public double Seconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
