using System.Diagnostics;
using System.Runtime.InteropServices;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// The older n-gram smoothers, kept as options beside the baseline, <see cref="KneserNeyModel"/> (which
/// <see cref="Run"/> uses by default): a character n-gram model with interpolated smoothing (<see cref="NGramSmoothing"/>): Witten-Bell, P_n(w | h) = (c(h w) + F(h) P_{n-1}(w | h')) / (c(h) + F(h)),
/// or absolute discounting, P_n(w | h) = (max(c(h w) - D_n, 0) + D_n F(h) P_{n-1}(w | h')) / c(h) with Ney's
/// D_n = n1 / (n1 + 2 n2) from the counts of n-grams seen once and twice; h' drops h's oldest symbol, F(h) is the
/// number of distinct symbols seen after h, P_0 is uniform over the vocabulary, and an unseen context falls back
/// to P_{n-1}. Both need only counts and distinct-follower counts. Why both: Witten-Bell keeps half the mass on
/// the one follower of a context seen once, so its loss rises again past n = 5 on a 1 MB corpus; discounting
/// (nearer the paper's Kneser-Ney-style baselines) degrades much less at n = 20.
/// Memory: one Dictionary per window length m, keyed by a 64-bit hash of the window (collisions at ~1e6 windows are
/// about 1e-7 likely and harmless), holding its count and its distinct followers. c(h w) of order m - 1 contexts is
/// the count of the length-m window, so each window is stored once. Orders are built one after another and the
/// model stops at the largest order that fits the memory budget.
/// </summary>
public sealed class NGramModel
{
    public const long DefaultMemoryBudgetBytes = 2L << 30;
    /// <summary>Dictionary&lt;long, WindowStats&gt;: a 24-byte entry and a 4-byte bucket, plus prime rounding.</summary>
    private const long BytesPerWindow = 30;
    private const ulong Seed = 0x2545F4914F6CDD1DUL;

    private struct WindowStats
    {
        public int Count;
        public int Followers;
    }

    private readonly NGramSmoothing _smoothing;
    /// <summary>_discount[m - 1]: D for windows of length m (absolute discounting).</summary>
    private readonly double[] _discount;
    private readonly int _vocabularySize;
    private readonly long _trainLength;
    private readonly int _unigramFollowers;
    /// <summary>_windows[m - 1]: windows of length m = 1 .. MaxOrder.</summary>
    private readonly List<Dictionary<long, WindowStats>> _windows;
    /// <summary>_lastWindow[m - 1]: the hash of the train split's final window of length m, which has no follower.</summary>
    private readonly long[] _lastWindow;

    private NGramModel(NGramSmoothing smoothing, double[] discount, int vocabularySize, long trainLength, int unigramFollowers, List<Dictionary<long, WindowStats>> windows,
        long[] lastWindow, long estimatedBytes, string? stopReason)
    {
        _vocabularySize = vocabularySize;
        _trainLength = trainLength;
        _unigramFollowers = unigramFollowers;
        _windows = windows;
        _lastWindow = lastWindow;
        _smoothing = smoothing;
        _discount = discount;
        EstimatedBytes = estimatedBytes;
        StopReason = stopReason;
    }

    /// <summary>The largest n computed.</summary>
    public int MaxOrder => _windows.Count;
    public long EstimatedBytes { get; }
    public string? StopReason { get; }

    /// <summary>
    /// Trains on <paramref name="train"/> and scores <paramref name="test"/> for n = 1 .. maxOrder (or fewer, see the
    /// report); modified Kneser-Ney (the default) is <see cref="KneserNeyModel"/>, the other smoothers this class.
    /// <paramref name="correctProbabilities"/> (Kneser-Ney only) receives the largest order's probability per test position,
    /// <paramref name="oracleOrders"/> (Kneser-Ney only) Section 4.3's n-gram oracle (<see cref="KneserNeyModel.Evaluate"/>).
    /// </summary>
    public static NGramReport Run(EncodedText train, EncodedText test, int vocabularySize, int maxOrder = 20,
        long memoryBudgetBytes = DefaultMemoryBudgetBytes, NGramSmoothing smoothing = NGramSmoothing.ModifiedKneserNey, float[]? correctProbabilities = null,
        short[]? oracleOrders = null)
    {
        if (smoothing == NGramSmoothing.ModifiedKneserNey) return KneserNeyModel.Run(train, test, vocabularySize, maxOrder, memoryBudgetBytes, correctProbabilities, oracleOrders);
        var clock = Stopwatch.StartNew();
        var model = Train(train, vocabularySize, maxOrder, memoryBudgetBytes, smoothing);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var losses = model.Evaluate(test);
        return new NGramReport(smoothing.Name(), maxOrder, model.MaxOrder, losses, memoryBudgetBytes, model.EstimatedBytes,
            trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds, model.StopReason);
    }

    public static NGramModel Train(EncodedText train, int vocabularySize, int maxOrder, long memoryBudgetBytes = DefaultMemoryBudgetBytes,
        NGramSmoothing smoothing = NGramSmoothing.AbsoluteDiscounting)
    {
        if (smoothing == NGramSmoothing.ModifiedKneserNey) throw new ArgumentException("modified Kneser-Ney is KneserNeyModel.Train", nameof(smoothing));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(train.Length, 2L, nameof(train));
        var n = checked((int)train.Length);
        var text = new int[n];
        for (var i = 0; i < n; i++) text[i] = train[i];

        // prev[i]: hash of the window of length m - 1 ending at i; cur[i]: of length m (extended one symbol back).
        var prev = new long[n];
        var cur = new long[n];
        Array.Fill(prev, unchecked((long)Seed));
        long used = 2L * n * sizeof(long) + (long)n * sizeof(int);
        var windows = new List<Dictionary<long, WindowStats>>();
        var lastWindow = new long[maxOrder];
        var discount = new double[maxOrder];
        var unigramFollowers = 0;
        string? stopReason = null;

        for (var m = 1; m <= maxOrder; m++)
        {
            // Distinct windows of length m: at most one per position, at most (distinct of length m - 1) x V.
            long previousDistinct = m == 1 ? 1 : windows[^1].Count;
            var bound = Math.Min(n - m + 1L, previousDistinct * vocabularySize);
            // Presized (no doubling), then trimmed: the peak is the presized table plus the trimmed copy.
            var peak = used + 2 * bound * BytesPerWindow;
            if (peak > memoryBudgetBytes)
            {
                stopReason = $"order {m} could need {peak >> 20} MiB, over the {memoryBudgetBytes >> 20} MiB budget";
                break;
            }

            var counts = new Dictionary<long, WindowStats>(checked((int)bound));
            var contexts = m == 1 ? null : windows[^1];
            for (var i = m - 1; i < n; i++)
            {
                var hash = cur[i] = Extend(prev[i], text[i - m + 1]);
                ref var stats = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, hash, out var seen);
                stats.Count++;
                if (seen) continue;
                // A new window h w: one more distinct follower of its context h (the window of length m - 1 ending at i - 1).
                if (contexts is null) unigramFollowers++;
                else CollectionsMarshal.GetValueRefOrNullRef(contexts, prev[i - 1]).Followers++;
            }
            counts.TrimExcess();
            windows.Add(counts);
            lastWindow[m - 1] = cur[n - 1];
            long once = 0, twice = 0;
            foreach (var stats in counts.Values)
            {
                if (stats.Count == 1) once++;
                else if (stats.Count == 2) twice++;
            }
            discount[m - 1] = once > 0 ? (double)once / (once + 2 * twice) : 0.5;
            used += counts.Count * BytesPerWindow;
            (prev, cur) = (cur, prev);
        }
        if (windows.Count == 0) throw new InvalidOperationException($"not even unigrams fit the memory budget: {stopReason}");
        return new NGramModel(smoothing, discount, vocabularySize, n, unigramFollowers, windows, lastWindow, used, stopReason);
    }

    /// <summary>Cross-entropy on <paramref name="test"/> for every order; the first symbols use the history they have.</summary>
    public IReadOnlyList<NGramLoss> Evaluate(EncodedText test)
    {
        var sums = new double[MaxOrder + 1];
        var window = new long[MaxOrder + 1];                                      // window[k + 1]: context of length k plus the target
        var context = new long[MaxOrder + 1];                                     // context[k]: the k symbols before the target
        var n = checked((int)test.Length);
        for (var i = 0; i < n; i++)
        {
            var target = test[i];
            window[1] = Extend(unchecked((long)Seed), target);
            context[0] = unchecked((long)Seed);

            // Order 1: unigram counts interpolated with the uniform distribution.
            var p = 1.0 / _vocabularySize;
            var unigram = _windows[0].TryGetValue(window[1], out var u) ? u.Count : 0;
            p = Interpolate(1, unigram, _trainLength, _unigramFollowers, p);
            sums[1] -= Math.Log(p);

            var known = true;
            for (var order = 2; order <= MaxOrder; order++)
            {
                var k = order - 1;                                                // context length
                if (known && k <= i)
                {
                    var symbol = test[i - k];
                    context[k] = Extend(context[k - 1], symbol);
                    window[k + 1] = Extend(window[k], symbol);
                    if (_windows[k - 1].TryGetValue(context[k], out var h))
                    {
                        var followed = h.Count - (context[k] == _lastWindow[k - 1] ? 1 : 0);
                        if (followed > 0)
                        {
                            var joint = _windows[k].TryGetValue(window[k + 1], out var hw) ? hw.Count : 0;
                            p = Interpolate(k + 1, joint, followed, h.Followers, p);
                        }
                    }
                    else
                    {
                        known = false;                                            // no longer context was seen either
                    }
                }
                sums[order] -= Math.Log(p);
            }
        }
        return Enumerable.Range(1, MaxOrder).Select(o => new NGramLoss(o, sums[o] / n)).ToList();
    }

    /// <summary>
    /// P_order(symbol | the last order - 1 symbols of history), computed directly from the definition (the
    /// reference <see cref="Evaluate"/> is checked against, and a way to check that probabilities sum to 1).
    /// </summary>
    public double Probability(ReadOnlySpan<int> history, int symbol, int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        var p = 1.0 / _vocabularySize;
        var unigram = _windows[0].TryGetValue(Extend(unchecked((long)Seed), symbol), out var u) ? u.Count : 0;
        p = Interpolate(1, unigram, _trainLength, _unigramFollowers, p);
        for (var k = 1; k < order && k <= history.Length; k++)
        {
            var context = unchecked((long)Seed);
            for (var j = history.Length - 1; j >= history.Length - k; j--) context = Extend(context, history[j]);
            if (!_windows[k - 1].TryGetValue(context, out var h)) break;
            var followed = h.Count - (context == _lastWindow[k - 1] ? 1 : 0);
            if (followed == 0) continue;
            var window = Extend(unchecked((long)Seed), symbol);
            for (var j = history.Length - 1; j >= history.Length - k; j--) window = Extend(window, history[j]);
            var joint = _windows[k].TryGetValue(window, out var hw) ? hw.Count : 0;
            p = Interpolate(k + 1, joint, followed, h.Followers, p);
        }
        return p;
    }

    /// <summary>P_order(w | h) from c(h w) = <paramref name="joint"/>, c(h) = <paramref name="followed"/>, F(h) and P_{order-1}(w | h').</summary>
    private double Interpolate(int order, long joint, long followed, int followers, double lower) => _smoothing switch
    {
        NGramSmoothing.WittenBell => (joint + followers * lower) / (followed + followers),
        _ => (Math.Max(joint - _discount[order - 1], 0) + _discount[order - 1] * followers * lower) / followed,
    };

    /// <summary>The hash of a window extended one symbol back (splitmix64's finalizer: every input bit moves every output bit).</summary>
    private static long Extend(long hash, int symbol)
    {
        var z = unchecked((ulong)hash ^ ((ulong)symbol + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }
}
