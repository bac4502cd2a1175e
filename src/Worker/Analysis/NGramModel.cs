using System.Diagnostics;
using System.Runtime.InteropServices;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// The paper's n-gram baseline (Table 1 compares with a 20-gram): a character n-gram model with interpolated
/// Witten-Bell smoothing, P_n(w | h) = (c(h w) + F(h) P_{n-1}(w | h')) / (c(h) + F(h)), where h' drops h's oldest
/// symbol, F(h) is the number of distinct symbols seen after h, and P_0 is uniform over the vocabulary; an unseen
/// context falls back to P_{n-1}. Why Witten-Bell: it needs only counts and distinct-follower counts, no discount
/// estimation, and is a sound choice for character models.
/// Memory: one Dictionary per window length m, keyed by a 64-bit hash of the window (collisions at ~1e6 windows are
/// about 1e-7 likely and harmless), holding its count and its distinct followers. c(h w) of order m - 1 contexts is
/// the count of the length-m window, so each window is stored once. Orders are built one after another and the
/// model stops at the largest order that fits the memory budget.
/// </summary>
public sealed class NGramModel
{
    public const string Smoothing = "interpolated Witten-Bell";
    public const long DefaultMemoryBudgetBytes = 2L << 30;
    /// <summary>Dictionary&lt;long, WindowStats&gt;: a 24-byte entry and a 4-byte bucket, plus prime rounding.</summary>
    private const long BytesPerWindow = 30;
    private const ulong Seed = 0x2545F4914F6CDD1DUL;

    private struct WindowStats
    {
        public int Count;
        public int Followers;
    }

    private readonly int _vocabularySize;
    private readonly long _trainLength;
    private readonly int _unigramFollowers;
    /// <summary>_windows[m - 1]: windows of length m = 1 .. MaxOrder.</summary>
    private readonly List<Dictionary<long, WindowStats>> _windows;
    /// <summary>_lastWindow[m - 1]: the hash of the train split's final window of length m, which has no follower.</summary>
    private readonly long[] _lastWindow;

    private NGramModel(int vocabularySize, long trainLength, int unigramFollowers, List<Dictionary<long, WindowStats>> windows,
        long[] lastWindow, long estimatedBytes, string? stopReason)
    {
        _vocabularySize = vocabularySize;
        _trainLength = trainLength;
        _unigramFollowers = unigramFollowers;
        _windows = windows;
        _lastWindow = lastWindow;
        EstimatedBytes = estimatedBytes;
        StopReason = stopReason;
    }

    /// <summary>The largest n computed.</summary>
    public int MaxOrder => _windows.Count;
    public long EstimatedBytes { get; }
    public string? StopReason { get; }

    /// <summary>Trains on <paramref name="train"/> and scores <paramref name="test"/> for n = 1 .. maxOrder (or fewer, see the report).</summary>
    public static NGramReport Run(EncodedText train, EncodedText test, int vocabularySize, int maxOrder = 20,
        long memoryBudgetBytes = DefaultMemoryBudgetBytes)
    {
        var clock = Stopwatch.StartNew();
        var model = Train(train, vocabularySize, maxOrder, memoryBudgetBytes);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var losses = model.Evaluate(test);
        return new NGramReport(Smoothing, maxOrder, model.MaxOrder, losses, memoryBudgetBytes, model.EstimatedBytes,
            trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds, model.StopReason);
    }

    public static NGramModel Train(EncodedText train, int vocabularySize, int maxOrder, long memoryBudgetBytes = DefaultMemoryBudgetBytes)
    {
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
            used += counts.Count * BytesPerWindow;
            (prev, cur) = (cur, prev);
        }
        if (windows.Count == 0) throw new InvalidOperationException($"not even unigrams fit the memory budget: {stopReason}");
        return new NGramModel(vocabularySize, n, unigramFollowers, windows, lastWindow, used, stopReason);
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
            p = (unigram + _unigramFollowers * p) / (_trainLength + _unigramFollowers);
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
                            p = (joint + h.Followers * p) / (followed + h.Followers);
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

    /// <summary>The hash of a window extended one symbol back (splitmix64's finalizer: every input bit moves every output bit).</summary>
    private static long Extend(long hash, int symbol)
    {
        var z = unchecked((ulong)hash ^ ((ulong)symbol + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }
}
