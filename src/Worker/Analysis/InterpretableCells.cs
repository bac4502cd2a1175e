namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Finds candidate interpretable cells (the paper's line-length, quote and bracket cells): the Pearson correlation
/// of every unit of every layer with each <see cref="TextFeatures"/> feature over the excerpt.
/// </summary>
public static class InterpretableCells
{
    /// <summary>
    /// Per feature, the <paramref name="k"/> units with the largest |r|, in that order (ties: lower layer, then unit).
    /// A feature that is constant over the excerpt (no quotes in it, say) and units that never change are left out,
    /// since r is undefined for them.
    /// </summary>
    public static IReadOnlyList<CellCorrelation> TopUnits(CellActivations cells, int k = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var values = cells.Decode();                                              // (L, T, H) row-major
        var result = new List<CellCorrelation>();
        foreach (var (name, feature) in TextFeatures.Compute(cells.Text))
        {
            var all = new List<CellCorrelation>();
            for (var l = 0; l < cells.Layers; l++)
            {
                for (var u = 0; u < cells.Hidden; u++)
                {
                    var r = Pearson(values, l, u, cells.Steps, cells.Hidden, feature);
                    if (double.IsFinite(r)) all.Add(new CellCorrelation(name, l, u, r));
                }
            }
            result.AddRange(all.OrderByDescending(c => Math.Abs(c.Correlation)).ThenBy(c => c.Layer).ThenBy(c => c.Unit).Take(k));
        }
        return result;
    }

    /// <summary>r between unit (l, u) of values (L, T, H) and the feature (T); NaN when either is constant.</summary>
    private static double Pearson(float[] values, int layer, int unit, int steps, int hidden, double[] feature)
    {
        var offset = (long)layer * steps * hidden + unit;
        double meanA = 0, meanF = 0;
        for (var t = 0; t < steps; t++) { meanA += values[offset + (long)t * hidden]; meanF += feature[t]; }
        meanA /= steps;
        meanF /= steps;
        double cov = 0, varA = 0, varF = 0;
        for (var t = 0; t < steps; t++)
        {
            var a = values[offset + (long)t * hidden] - meanA;
            var f = feature[t] - meanF;
            cov += a * f;
            varA += a * a;
            varF += f * f;
        }
        return varA > 0 && varF > 0 ? cov / Math.Sqrt(varA * varF) : double.NaN;
    }
}
