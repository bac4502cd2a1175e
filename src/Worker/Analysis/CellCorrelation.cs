namespace RnnSweep.Worker.Analysis;

/// <summary>Pearson correlation of one unit's activation with one text feature; layer and unit 0-based.</summary>
public sealed record CellCorrelation(string Feature, int Layer, int Unit, double Correlation);
