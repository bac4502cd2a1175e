using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Finds the paper's interpretable cells (line position, quotes, brackets, word starts; <see cref="TextFeatures"/>)
/// and keeps only units whose tracking is more than chance and more than an untrained network shows.
/// Over at least 50,000 characters read as many parallel streams (the state carried, as evaluation reads them),
/// the Pearson r of every unit of every layer (tanh(c) for the LSTM, h otherwise) with each feature is measured,
/// each stream's features computed from that stream's own text. Two nulls give each feature's threshold:
/// <list type="bullet">
/// <item>circular shifts: the same activations against the feature rotated within each stream by
/// <see cref="Options.Shifts"/> offsets (which keeps both series' autocorrelation and breaks their alignment); the
/// largest |r| of any unit under any shift;</item>
/// <item>random initialisation: the same architecture with the weights it had before training (the run's seed)
/// and with <see cref="InitialNetworks"/> - 1 further random initialisations, read over the same streams; the
/// largest |r| of any of their units. What a unit shows here comes from the input alone (a unit that reacts to
/// '(' correlates with being inside brackets before any training). One initialisation alone is a noisy bound:
/// a slightly perturbed random unit passes it.</item>
/// </list>
/// The threshold is the larger of the two, a family-wise bound over all units: with 19 shifts, units unrelated to
/// a feature pass the shift null with probability about 1/20; a network of N random-like units passes the
/// untrained null of R initialisations (R N units) with probability about 1/(R + 1) per feature, so a listed unit
/// far above its threshold is the one to trust. Units with |r| above it are listed, up to
/// <see cref="Options.PerFeature"/> per feature, largest |r| first.
/// </summary>
public static class InterpretableCells
{
    public sealed record Options
    {
        /// <summary>Parallel streams read in a contiguous text (a segmented one is read one stream per segment); each stream's features start at its start.</summary>
        public int Streams { get; init; } = 100;
        /// <summary>Characters read in all (at most); 50,000 at least is what the threshold is designed for.</summary>
        public long Characters { get; init; } = 100_000;
        /// <summary>Circular shifts of the features for the chance null.</summary>
        public int Shifts { get; init; } = 19;
        public int PerFeature { get; init; } = 5;
        public int ChunkSteps { get; init; } = 100;
        public long Seed { get; init; } = 1;
    }

    /// <summary>The units that pass, every feature's thresholds, and how much text was read.</summary>
    public sealed record Report(IReadOnlyList<CellCorrelation> Units, IReadOnlyList<FeatureThreshold> Thresholds, long Characters, int Streams, int Shifts);

    /// <summary>
    /// <paramref name="trained"/> is the network analysed; <paramref name="initial"/> the same architecture at
    /// random initialisations, the run's own first (empty: the shift null alone). Both are read over the same streams of
    /// <paramref name="text"/> (e.g. the validation split), decoded by <paramref name="vocabulary"/>.
    /// </summary>
    public static Report Find(GateExtractor trained, IReadOnlyList<GateExtractor> initial, EncodedText text, Vocabulary vocabulary, Options? options = null)
    {
        options ??= new Options();
        // A split in the streams layout is read one segment per stream, so no stream runs into the next piece.
        var streams = text.Segments > 1 ? text.Segments : (int)Math.Min(options.Streams, Math.Max(1, (text.Length - 1) / 2));
        var length = TextBatches.StreamLength(text, streams);
        var steps = (int)Math.Min(length, Math.Max(1, options.Characters / streams));
        if (steps < 2) throw new ArgumentException($"the text ({text.Length} symbols) is too short for {streams} streams", nameof(text));

        // Features per stream, from that stream's own text: (streams, steps) per feature.
        var names = TextFeatures.Names;
        var features = StreamFeatures(text, streams, steps, vocabulary);
        var random = new Random(unchecked((int)options.Seed));
        var shifts = Enumerable.Range(0, options.Shifts).Select(_ => steps < 10 ? 1 + random.Next(steps - 1) : steps / 10 + random.Next(steps * 8 / 10)).ToArray();

        var observed = Correlate(trained, text, streams, steps, options.ChunkSteps, features, shifts);    // (1 + shifts) x F x units
        var atInit = initial.Select(network => Correlate(network, text, streams, steps, options.ChunkSteps, features, [])).ToList();

        var units = new List<CellCorrelation>();
        var thresholds = new List<FeatureThreshold>();
        var hidden = trained.Hidden;
        for (var f = 0; f < names.Count; f++)
        {
            var r = observed[0][f];
            if (r.All(double.IsNaN)) continue;                                   // the feature is constant in this text
            var shiftThreshold = 0.0;
            for (var s = 1; s < observed.Length; s++) shiftThreshold = Math.Max(shiftThreshold, MaxAbs(observed[s][f]));
            var initThreshold = atInit.Count == 0 ? double.NaN : atInit.Max(r0 => MaxAbs(r0[0][f]));
            var threshold = double.IsNaN(initThreshold) ? shiftThreshold : Math.Max(shiftThreshold, initThreshold);
            thresholds.Add(new FeatureThreshold(names[f], threshold, shiftThreshold, initThreshold));
            units.AddRange(Enumerable.Range(0, r.Length)
                .Where(u => double.IsFinite(r[u]) && Math.Abs(r[u]) > threshold)
                .Select(u => new CellCorrelation(names[f], u / hidden, u % hidden, r[u], threshold))
                .OrderByDescending(c => Math.Abs(c.Correlation)).ThenBy(c => c.Layer).ThenBy(c => c.Unit)
                .Take(options.PerFeature));
        }
        return new Report(units, thresholds, (long)streams * steps, streams, shifts.Length);
    }

    /// <summary>The unit the visualiser opens on: the largest |r| of any listed unit, or null.</summary>
    public static CellCorrelation? MostInterpretable(IEnumerable<CellCorrelation> units) =>
        units.OrderByDescending(c => Math.Abs(c.Correlation)).ThenBy(c => c.Layer).ThenBy(c => c.Unit).FirstOrDefault();

    private static double MaxAbs(double[] values) => values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();

    /// <summary>features[f][b * steps + t]: feature f after stream b has read its t-th input symbol.</summary>
    private static double[][] StreamFeatures(EncodedText text, int streams, int steps, Vocabulary vocabulary)
    {
        using var scope = NewDisposeScope();
        var (x, _) = TextBatches.FromStreams(text, streams, 0, steps, CPU);      // (B, T)
        var symbols = x.data<long>().ToArray();
        var result = TextFeatures.Names.Select(_ => new double[(long)streams * steps]).ToArray();
        var chars = new char[steps];
        for (var b = 0; b < streams; b++)
        {
            // One char per symbol, so features line up with steps: bytes as Latin-1 (TextFeatures reads ASCII), and
            // code points outside the BMP (rare) as U+FFFD.
            for (var t = 0; t < steps; t++)
            {
                var value = vocabulary.Symbols[(int)symbols[b * steps + t]];
                chars[t] = value <= 0xFFFF && !char.IsSurrogate((char)value) ? (char)value : '\uFFFD';
            }
            var computed = TextFeatures.Compute(new string(chars), startsLine: false); // a stream starts anywhere in a line
            for (var f = 0; f < TextFeatures.Names.Count; f++) Array.Copy(computed[TextFeatures.Names[f]], 0, result[f], (long)b * steps, steps);
        }
        return result;
    }

    /// <summary>
    /// r[s][f][l * H + u]: Pearson r of unit (l, u) with feature f rotated by shift s within each stream (s = 0:
    /// not rotated, then <paramref name="shifts"/>), from sums accumulated chunk by chunk (one matmul per chunk).
    /// </summary>
    private static double[][][] Correlate(GateExtractor extractor, EncodedText text, int streams, int steps, int chunkSteps,
        double[][] features, int[] shifts)
    {
        var featureCount = features.Length;
        var columns = featureCount * (1 + shifts.Length);
        var units = extractor.LayerCount * extractor.Hidden;
        var sumA = new double[units];
        var sumAA = new double[units];
        var sumAF = new double[units * columns];                                  // (units, columns)
        var sumF = new double[columns];
        var sumFF = new double[columns];
        long n = 0, position = 0;
        extractor.ForEachChunk(text, streams, chunkSteps, steps, trace =>
        {
            using var scope = NewDisposeScope();
            var chunk = (int)trace[0, Gate.Hidden].shape[1];
            var rows = streams * chunk;
            // Activations (B T, L H), float64 on the CPU: sums over 1e5 rows stay exact to ~1e-12.
            var a = cat(Enumerable.Range(0, trace.Layers.Count).Select(l => trace.CellView(l)).ToArray(), dim: 2)
                .reshape(rows, units).to_type(ScalarType.Float64).cpu();
            var f = new double[rows * columns];
            for (var b = 0; b < streams; b++)
            {
                for (var t = 0; t < chunk; t++)
                {
                    var row = (b * chunk + t) * columns;
                    var at = position + t;
                    for (var s = 0; s <= shifts.Length; s++)
                    {
                        var shifted = s == 0 ? at : (at + shifts[s - 1]) % steps;
                        for (var k = 0; k < featureCount; k++) f[row + s * featureCount + k] = features[k][(long)b * steps + shifted];
                    }
                }
            }
            var fm = tensor(f, [rows, columns]);
            var af = a.t().matmul(fm).contiguous().data<double>().ToArray();       // (units, columns)
            var sa = a.sum(dim: 0).data<double>().ToArray();
            var saa = a.square().sum(dim: 0).data<double>().ToArray();
            for (var i = 0; i < af.Length; i++) sumAF[i] += af[i];
            for (var u = 0; u < units; u++) { sumA[u] += sa[u]; sumAA[u] += saa[u]; }
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    var v = f[r * columns + c];
                    sumF[c] += v;
                    sumFF[c] += v * v;
                }
            }
            n += rows;
            position += chunk;
        });

        var result = new double[1 + shifts.Length][][];
        for (var s = 0; s <= shifts.Length; s++)
        {
            result[s] = new double[featureCount][];
            for (var k = 0; k < featureCount; k++)
            {
                var c = s * featureCount + k;
                var r = result[s][k] = new double[units];
                var varF = n * sumFF[c] - sumF[c] * sumF[c];
                for (var u = 0; u < units; u++)
                {
                    var varA = n * sumAA[u] - sumA[u] * sumA[u];
                    var cov = n * sumAF[u * columns + c] - sumA[u] * sumF[c];
                    // A constant series (a dead unit, a feature absent from the text) has no r.
                    r[u] = varA > 1e-9 * n * n && varF > 1e-9 * n * n ? cov / Math.Sqrt(varA * varF) : double.NaN;
                }
            }
        }
        return result;
    }
}
