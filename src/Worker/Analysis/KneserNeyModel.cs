using System.Diagnostics;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Interpolated modified Kneser-Ney character n-grams (Chen and Goodman 1998, "An empirical study of smoothing
/// techniques for language modeling", section 3; what KenLM and SRILM's <c>-kndiscount -interpolate</c> build),
/// for every order n = 1 .. MaxOrder at once:
/// <code>
/// P(w | h) = max(a(h w) - D(a(h w)), 0) / a(h .) + (D1 N1(h .) + D2 N2(h .) + D3+ N3+(h .)) / a(h .) * P_lower(w | h')
/// </code>
/// where h' drops h's oldest symbol, a(h .) = sum over w of a(h w), N_k(h .) counts the followers w with
/// a(h w) = k (N3+: at least 3), and D(0) = 0, D(1) = D1, D(2) = D2, D(k >= 3) = D3+. The top order of model n
/// uses raw counts a = c; every lower order uses continuation counts a(x) = N1+(. x), the number of distinct
/// symbols seen before x. The three discounts of each order and kind come from its count-of-counts n1..n4:
/// Y = n1 / (n1 + 2 n2), D1 = 1 - 2 Y n2 / n1, D2 = 2 - 3 Y n3 / n2, D3+ = 3 - 4 Y n4 / n3 (when a
/// count-of-count is missing or some D_k falls outside (0, k], all three are Y, Ney's discount). The chain ends at the
/// uniform distribution over the vocabulary. A context never followed in training (a(h .) = 0) passes the lower
/// order through unchanged, as Chen and Goodman define it.
/// Segments (<see cref="EncodedText.Segments"/>): in char-rnn's <c>streams</c> layout a split is one segment per
/// stream; no n-gram is counted across two segments, and the first symbol of each test segment is history only,
/// which is exactly the targets the recurrent models are scored on.
/// Memory: per order a sorted array of 64-bit window hashes (collisions among ~3e6 windows of one order are
/// ~1e-6 likely and harmless) with counts; windows that serve as contexts of a higher order also hold their
/// continuation count and follower statistics, 32 bytes in all. Orders are built one after another; the model
/// stops at the largest order that fits the memory budget. War and Peace (2.6 M training bytes, n = 20) needs
/// about 0.9 GB.
/// </summary>
public sealed class KneserNeyModel
{
    private const ulong Seed = 0x2545F4914F6CDD1DUL;
    /// <summary>Bytes per window of a lower order: key 8, count 4, continuation count 4, N1..N3+ twice 12, a(h .) of continuation counts 4.</summary>
    private const long BytesPerLowerWindow = 32;
    /// <summary>Bytes per window of the top order: key and count.</summary>
    private const long BytesPerTopWindow = 12;

    /// <summary>Windows of one length m, sorted by hash.</summary>
    private sealed class Order
    {
        public required long[] Keys;
        /// <summary>Raw count c of each window.</summary>
        public required int[] Count;
        /// <summary>Windows of length m ending at a segment's last symbol (never followed), by hash: c - this = a(h .) of raw counts.</summary>
        public required Dictionary<long, int> Ends;
        /// <summary>N1+(. w): distinct symbols before the window; null while this is the top order.</summary>
        public int[]? Continuation;
        /// <summary>As the context h of order m + 1: N1, N2, N3+ of the raw counts c(h w), three per window.</summary>
        public ushort[]? RawFollowers;
        /// <summary>As the context h of order m + 1: N1, N2, N3+ of the continuation counts of h w, three per window.</summary>
        public ushort[]? ContinuationFollowers;
        /// <summary>As the context h of order m + 1: the sum over w of N1+(. h w).</summary>
        public int[]? ContinuationTotal;
        /// <summary>While building: the index of each window's context in the order below.</summary>
        public int[]? ContextIndex;
        /// <summary>D1, D2, D3+ for raw counts (this order as model n's top order).</summary>
        public double[] RawDiscount = [];
        /// <summary>D1, D2, D3+ for continuation counts (this order below model n's top order).</summary>
        public double[] ContinuationDiscount = [];

        public int Find(long key) => Array.BinarySearch(Keys, key);
    }

    private readonly List<Order> _orders;
    private readonly int _vocabularySize;
    /// <summary>The empty context (order 0): a(.) for raw and continuation counts and their N1..N3+.</summary>
    private readonly long _rawTotal;
    private readonly long _continuationTotal;
    private readonly int[] _rawFollowers;
    private readonly int[] _continuationFollowers;

    private KneserNeyModel(List<Order> orders, int vocabularySize, long rawTotal, long continuationTotal, int[] rawFollowers,
        int[] continuationFollowers, long estimatedBytes, string? stopReason)
    {
        _orders = orders;
        _vocabularySize = vocabularySize;
        _rawTotal = rawTotal;
        _continuationTotal = continuationTotal;
        _rawFollowers = rawFollowers;
        _continuationFollowers = continuationFollowers;
        EstimatedBytes = estimatedBytes;
        StopReason = stopReason;
    }

    /// <summary>The largest n computed.</summary>
    public int MaxOrder => _orders.Count;
    /// <summary>The memory the tables hold, bytes.</summary>
    public long EstimatedBytes { get; }
    /// <summary>Why fewer orders than asked were built (the memory budget), or null.</summary>
    public string? StopReason { get; }

    /// <summary>Trains on <paramref name="train"/> and scores <paramref name="test"/> for n = 1 .. maxOrder (or fewer, see the report).</summary>
    /// <param name="correctProbabilities">See <see cref="Evaluate"/>: the largest order's probability per test position.</param>
    /// <param name="oracleOrders">See <see cref="Evaluate"/>: the n-gram oracle of Section 4.3 per test position.</param>
    public static NGramReport Run(EncodedText train, EncodedText test, int vocabularySize, int maxOrder = 20,
        long memoryBudgetBytes = NGramModel.DefaultMemoryBudgetBytes, float[]? correctProbabilities = null, short[]? oracleOrders = null)
    {
        var clock = Stopwatch.StartNew();
        var model = Train(train, vocabularySize, maxOrder, memoryBudgetBytes);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var losses = model.Evaluate(test, correctProbabilities, oracleOrders);
        return new NGramReport(NGramSmoothing.ModifiedKneserNey.Name(), maxOrder, model.MaxOrder, losses, memoryBudgetBytes, model.EstimatedBytes,
            trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds, model.StopReason);
    }

    /// <summary>
    /// Counts every window of length 1 .. maxOrder of <paramref name="train"/> within its segments.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for maxOrder &lt; 1, a vocabulary of more than 65,535
    /// symbols or fewer than 2 symbols per segment; <see cref="InvalidOperationException"/> when not even
    /// unigrams fit the budget.
    /// </summary>
    public static KneserNeyModel Train(EncodedText train, int vocabularySize, int maxOrder, long memoryBudgetBytes = NGramModel.DefaultMemoryBudgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vocabularySize, ushort.MaxValue);
        var n = checked((int)train.Length);
        var segment = n / train.Segments;
        ArgumentOutOfRangeException.ThrowIfLessThan(segment, 2, "symbols per segment of train");
        var text = new int[n];
        for (var i = 0; i < n; i++) text[i] = train[i];

        // prev[i]: hash of the window of length m - 1 ending at i; cur[i]: of length m (extended one symbol back).
        var prev = new long[n];
        var cur = new long[n];
        Array.Fill(prev, unchecked((long)Seed));
        // One sort buffer for every order: window hashes and where each ends.
        var hashes = new long[n];
        var at = new int[n];
        long used = 3L * n * sizeof(long) + 2L * n * sizeof(int);
        var orders = new List<Order>();
        var rawFollowers = new int[4];
        var continuationFollowers = new int[4];
        long rawTotal = 0, continuationTotal = 0;
        string? stopReason = null;

        for (var m = 1; m <= maxOrder; m++)
        {
            var positions = (long)n - (long)train.Segments * (m - 1);
            if (positions <= 0) break;
            var below = m == 1 ? null : orders[^1];
            // Distinct windows: at most one per position, at most (distinct of length m - 1) x V. The order below
            // becomes a lower order now and gains its continuation counts and follower statistics.
            var bound = Math.Min(positions, m == 1 ? vocabularySize : (long)below!.Keys.Length * vocabularySize);
            var grow = below is null ? 0 : below.Keys.Length * (BytesPerLowerWindow - BytesPerTopWindow);
            var peak = used + grow + bound * (BytesPerTopWindow + 2 * sizeof(int));
            if (peak > memoryBudgetBytes)
            {
                stopReason = $"order {m} could need {peak >> 20} MiB, over the {memoryBudgetBytes >> 20} MiB budget";
                break;
            }

            var count = 0;
            for (var i = 0; i < n; i++)
            {
                if (i % segment < m - 1) continue;                                // the window would start in the segment before
                cur[i] = Extend(prev[i], text[i - m + 1]);
                hashes[count] = cur[i];
                at[count++] = i;
            }
            Array.Sort(hashes, at, 0, count);
            var unique = 0;
            for (var k = 0; k < count; k++) if (k == 0 || hashes[k] != hashes[k - 1]) unique++;
            var order = new Order { Keys = new long[unique], Count = new int[unique], Ends = [], ContextIndex = new int[unique] };
            var first = new int[unique];
            for (int k = 0, u = -1; k < count; k++)
            {
                if (k == 0 || hashes[k] != hashes[k - 1])
                {
                    order.Keys[++u] = hashes[k];
                    first[u] = at[k];
                }
                order.Count[u]++;
            }
            for (var end = segment - 1; end < n; end += segment)
            {
                order.Ends.TryGetValue(cur[end], out var ends);
                order.Ends[cur[end]] = ends + 1;
            }

            if (below is not null)
            {
                below.Continuation = new int[below.Keys.Length];
                below.RawFollowers = new ushort[3 * below.Keys.Length];
            }
            for (var u = 0; u < unique; u++)
            {
                var i = first[u];
                var c = order.Count[u];
                if (below is null)
                {
                    rawTotal += c;
                    rawFollowers[Math.Min(c, 3)]++;
                    order.ContextIndex[u] = -1;
                    continue;
                }
                var context = below.Find(prev[i - 1]);                           // h: the m - 1 symbols before i
                var suffix = below.Find(prev[i]);                                 // h' w: the m - 1 symbols ending at i
                order.ContextIndex[u] = context;
                below.RawFollowers![3 * context + Math.Min(c, 3) - 1]++;
                below.Continuation![suffix]++;
            }
            order.RawDiscount = Discounts(order.Count);
            if (below is not null) FinishLowerOrder(below, m == 2 ? null : orders[^2], continuationFollowers, ref continuationTotal);
            orders.Add(order);
            used += unique * BytesPerTopWindow + grow + order.Ends.Count * 32L;
            (prev, cur) = (cur, prev);
        }
        if (orders.Count == 0) throw new InvalidOperationException($"not even unigrams fit the memory budget: {stopReason}");
        orders[^1].ContextIndex = null;
        return new KneserNeyModel(orders, vocabularySize, rawTotal, continuationTotal, rawFollowers, continuationFollowers, used, stopReason);
    }

    /// <summary>
    /// With the continuation counts of <paramref name="lower"/> complete (the order above it is counted), adds
    /// them to the follower statistics of its contexts in <paramref name="contexts"/> (null: the empty context).
    /// </summary>
    private static void FinishLowerOrder(Order lower, Order? contexts, int[] emptyFollowers, ref long emptyTotal)
    {
        lower.ContinuationDiscount = Discounts(lower.Continuation!);
        if (contexts is not null)
        {
            contexts.ContinuationFollowers = new ushort[3 * contexts.Keys.Length];
            contexts.ContinuationTotal = new int[contexts.Keys.Length];
        }
        for (var u = 0; u < lower.Keys.Length; u++)
        {
            var a = lower.Continuation![u];
            if (a == 0) continue;                                                 // seen only at a segment's start
            if (contexts is null)
            {
                emptyTotal += a;
                emptyFollowers[Math.Min(a, 3)]++;
                continue;
            }
            var context = lower.ContextIndex![u];
            contexts.ContinuationTotal![context] += a;
            contexts.ContinuationFollowers![3 * context + Math.Min(a, 3) - 1]++;
        }
        lower.ContextIndex = null;
    }

    /// <summary>Chen and Goodman's D1, D2, D3+ from the count-of-counts of <paramref name="counts"/>.</summary>
    private static double[] Discounts(int[] counts)
    {
        var nk = new long[5];
        foreach (var c in counts) if (c is >= 1 and <= 4) nk[c]++;
        var y = nk[1] + 2 * nk[2] > 0 ? (double)nk[1] / (nk[1] + 2 * nk[2]) : 0.5;
        if (y == 0) y = 0.5;
        if (nk[1] == 0 || nk[2] == 0 || nk[3] == 0 || nk[4] == 0) return [y, y, y];
        double[] d = [1 - 2 * y * nk[2] / nk[1], 2 - 3 * y * nk[3] / nk[2], 3 - 4 * y * nk[4] / nk[3]];
        // Outside (0, k] a discount would make a probability negative, or zero for every symbol not seen after
        // some context (an infinite loss); KenLM refuses such counts, here Ney's single discount takes over.
        return d[0] > 0 && d[0] <= 1 && d[1] > 0 && d[1] <= 2 && d[2] > 0 && d[2] <= 3 ? d : [y, y, y];
    }

    /// <summary>D1, D2, D3+ of order m (1-based) for raw or continuation counts.</summary>
    public (double D1, double D2, double D3) DiscountsOf(int order, bool continuation)
    {
        var d = continuation ? _orders[order - 1].ContinuationDiscount : _orders[order - 1].RawDiscount;
        return d.Length == 3 ? (d[0], d[1], d[2]) : (double.NaN, double.NaN, double.NaN);
    }

    /// <summary>
    /// Cross-entropy, nats per symbol, on <paramref name="test"/> for every order: the mean of -ln P(symbol | the
    /// symbols before it in its segment) over every symbol but each segment's first.
    /// </summary>
    /// <param name="correctProbabilities">When given (test.Length long), receives at each scored position the top
    /// order's probability of the symbol there (Section 4.2 of the paper); other positions keep their value.</param>
    /// <param name="oracleOrders">When given (test.Length long), receives at each scored position the smallest order n
    /// up to <see cref="TestOracles.MaxOracleOrder"/> whose model gives the symbol probability &gt;= 0.5, or 0 when none
    /// does (Section 4.3's n-gram oracle); other positions keep their value.</param>
    public IReadOnlyList<NGramLoss> Evaluate(EncodedText test, float[]? correctProbabilities = null, short[]? oracleOrders = null)
    {
        var oracleTop = Math.Min(TestOracles.MaxOracleOrder, MaxOrder);
        var sums = new double[MaxOrder];
        var probabilities = new double[MaxOrder];
        var n = checked((int)test.Length);
        var segment = n / test.Segments;
        var symbols = new int[n];
        for (var i = 0; i < n; i++) symbols[i] = test[i];
        long targets = 0;
        for (var start = 0; start + segment <= n; start += segment)
        {
            for (var i = start + 1; i < start + segment; i++)
            {
                Score(symbols.AsSpan(Math.Max(start, i - MaxOrder + 1), i - Math.Max(start, i - MaxOrder + 1)), symbols[i], probabilities);
                for (var o = 0; o < MaxOrder; o++) sums[o] -= Math.Log(probabilities[o]);
                if (correctProbabilities is not null) correctProbabilities[i] = (float)probabilities[MaxOrder - 1];
                if (oracleOrders is not null)
                {
                    oracleOrders[i] = 0;
                    for (var o = 1; o <= oracleTop; o++)
                    {
                        if (probabilities[o - 1] < 0.5) continue;
                        oracleOrders[i] = (short)o;
                        break;
                    }
                }
                targets++;
            }
        }
        return Enumerable.Range(1, MaxOrder).Select(o => new NGramLoss(o, sums[o - 1] / targets)).ToList();
    }

    /// <summary>P_order(symbol | the last order - 1 symbols of <paramref name="history"/>, or all of it when shorter).</summary>
    public double Probability(ReadOnlySpan<int> history, int symbol, int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        var probabilities = new double[MaxOrder];
        Score(history.Length > MaxOrder - 1 ? history[^(MaxOrder - 1)..] : history, symbol, probabilities);
        return probabilities[order - 1];
    }

    /// <summary>
    /// probabilities[n - 1] = P_n(symbol | history) for n = 1 .. MaxOrder. Model n with fewer than n - 1 symbols
    /// of history is the model of the order the history allows (its top order with raw counts).
    /// </summary>
    private void Score(ReadOnlySpan<int> history, int symbol, double[] probabilities)
    {
        // lower: the continuation-count chain P_{m-1}; seen: every context so far was followed in training.
        var lower = 1.0 / _vocabularySize;
        var context = unchecked((long)Seed);                                      // h: m - 1 symbols before the target
        var window = Extend(unchecked((long)Seed), symbol);                       // h w
        var contextIndex = -1;
        var seen = true;
        double top = lower;                                                       // the raw-count estimate at the longest usable order
        for (var m = 1; m <= MaxOrder; m++)
        {
            if (m > 1)
            {
                if (m - 1 > history.Length) { probabilities[m - 1] = top; continue; }
                var previous = history[^(m - 1)];
                context = Extend(context, previous);
                window = Extend(window, previous);
                if (seen)
                {
                    contextIndex = _orders[m - 2].Find(context);
                    if (contextIndex < 0) seen = false;
                }
            }
            if (!seen)
            {
                // An unseen context passes the lower order through, for this and every longer context.
                top = probabilities[m - 1] = lower;
                continue;
            }
            var order = _orders[m - 1];
            var windowIndex = order.Find(window);

            // Raw counts: model m's top order.
            var c = windowIndex >= 0 ? order.Count[windowIndex] : 0;
            long total;
            double gamma;
            if (m == 1)
            {
                total = _rawTotal;
                gamma = Gamma(order.RawDiscount, _rawFollowers[1], _rawFollowers[2], _rawFollowers[3]);
            }
            else
            {
                var ctx = _orders[m - 2];
                total = ctx.Count[contextIndex] - ctx.Ends.GetValueOrDefault(context);
                var f = ctx.RawFollowers!;
                gamma = Gamma(order.RawDiscount, f[3 * contextIndex], f[3 * contextIndex + 1], f[3 * contextIndex + 2]);
            }
            top = probabilities[m - 1] = total > 0 ? (Discounted(c, order.RawDiscount) + gamma * lower) / total : lower;

            // Continuation counts: the chain the orders above interpolate with.
            if (m == MaxOrder) break;
            var a = windowIndex >= 0 ? order.Continuation![windowIndex] : 0;
            if (m == 1)
            {
                total = _continuationTotal;
                gamma = Gamma(order.ContinuationDiscount, _continuationFollowers[1], _continuationFollowers[2], _continuationFollowers[3]);
            }
            else
            {
                var ctx = _orders[m - 2];
                total = ctx.ContinuationTotal![contextIndex];
                var f = ctx.ContinuationFollowers!;
                gamma = Gamma(order.ContinuationDiscount, f[3 * contextIndex], f[3 * contextIndex + 1], f[3 * contextIndex + 2]);
            }
            if (total > 0) lower = (Discounted(a, order.ContinuationDiscount) + gamma * lower) / total;
        }
    }

    private static double Discounted(int count, double[] d) => count switch
    {
        0 => 0,
        1 => count - d[0],
        2 => count - d[1],
        _ => count - d[2],
    };

    private static double Gamma(double[] d, int n1, int n2, int n3) => d[0] * n1 + d[1] * n2 + d[2] * n3;

    /// <summary>The hash of a window extended one symbol back (splitmix64's finalizer: every input bit moves every output bit).</summary>
    private static long Extend(long hash, int symbol)
    {
        var z = unchecked((ulong)hash ^ ((ulong)symbol + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }
}
