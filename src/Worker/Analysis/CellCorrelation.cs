namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Pearson correlation of one unit's activation with one text feature; layer and unit 0-based. <see cref="Threshold"/>
/// is the |r| the feature's nulls reach (see <see cref="InterpretableCells"/>); a listed unit exceeds it.
/// </summary>
public sealed record CellCorrelation(string Feature, int Layer, int Unit, double Correlation, double Threshold);

/// <summary>
/// One feature's significance threshold: the larger of the circular-shift null's (<see cref="ShiftThreshold"/>) and
/// the randomly initialised network's (<see cref="InitialThreshold"/>, NaN when not measured) largest |r|.
/// </summary>
public sealed record FeatureThreshold(string Feature, double Threshold, double ShiftThreshold, double InitialThreshold);
