namespace RnnSweep.Worker.Bench;

/// <summary>Summaries of repeated bench measurements.</summary>
internal static class BenchStatistics
{
    /// <summary>The middle value (the mean of the two middle ones for an even count); throws for no values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(values));
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
