namespace RnnSweep.Worker.Analysis;

/// <summary>Test cross-entropy, nats per character, of the n-gram model of order <see cref="Order"/> (n - 1 context symbols).</summary>
public sealed record NGramLoss(int Order, double CrossEntropy);

/// <summary>
/// The n-gram baseline of one corpus: losses for n = 1 .. <see cref="ComputedOrder"/>, which is below
/// <see cref="RequestedOrder"/> when the next order would not have fitted <see cref="MemoryBudgetBytes"/>
/// (<see cref="StopReason"/> says so).
/// </summary>
public sealed record NGramReport(
    string Smoothing,
    int RequestedOrder,
    int ComputedOrder,
    IReadOnlyList<NGramLoss> Losses,
    long MemoryBudgetBytes,
    long EstimatedBytes,
    double TrainSeconds,
    double EvaluateSeconds,
    string? StopReason);
