using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Generates text one character per step with the recurrent state carried, dropout off; many samples of one request
/// in one pass (a batch of B rows reads the weights once per step for all of them).
/// Why not re-run the prefix for every new character (the seed's generator): that is quadratic in the length and, for
/// a model trained with carried state, not even the same computation.
/// Why System.Random with an explicit seed rather than torch's generator: sampling must be reproducible and must
/// not advance the global torch generator that training's dropout (and resume exactness) depends on.
/// </summary>
public static class Sampler
{
    /// <summary>
    /// Torch threads for a sampling step at batch <paramref name="batch"/>. Why one thread at batch 1: a step is a
    /// chain of small matrix-vector products bound by memory bandwidth, where a second OpenMP thread adds its
    /// barrier per call and little bandwidth (docs/benchmarks.md, "3 analysis"); a batch of rows is real matrix work.
    /// </summary>
    public static int ThreadsFor(int batch, int available) => batch <= 1 ? 1 : Math.Max(1, available);

    /// <returns>The generated text, without the priming text.</returns>
    public static string Sample(CharRnn model, Vocabulary vocabulary, SamplingOptions options, ScalarType weights = ScalarType.Float32) =>
        SampleMany(model, vocabulary, options, 1, weights)[0];

    /// <summary>
    /// <paramref name="count"/> samples of one request in one pass: row i draws with seed <c>options.Seed + i</c>,
    /// so row 0 is <see cref="Sample"/>'s text and each row is reproducible on its own (up to floating-point rounding:
    /// one sample on the CPU runs on <see cref="SingleSampleStep"/>, whose sums can differ in the last bits, which
    /// flips a draw only when it lands within about 1e-6 of a boundary).
    /// </summary>
    /// <param name="weights">Float32, or BFloat16 for half the bytes per step (see <see cref="SamplingStep"/>).</param>
    /// <param name="threads">Torch threads for the pass; null: <see cref="ThreadsFor"/> of the batch and the current count.
    /// Not used by one float32 sample on the CPU, which runs on <see cref="SingleSampleStep"/> in the calling thread.</param>
    /// <returns><paramref name="count"/> texts, without the priming text.</returns>
    public static string[] SampleMany(CharRnn model, Vocabulary vocabulary, SamplingOptions options, int count, ScalarType weights = ScalarType.Float32, int? threads = null)
    {
        options.Validate();
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"a sample request asks for at least one sample, not {count}");
        var prime = PrimeOf(vocabulary, options);
        var device = model.parameters().First().device;
        var randoms = Enumerable.Range(0, count).Select(i => { var seed = options.Seed + i; return new Random(unchecked((int)seed ^ (int)(seed >> 32))); }).ToArray();
        var generated = Enumerable.Range(0, count).Select(_ => new List<int>(options.Length)).ToArray();
        var wasTraining = model.training;
        var before = torch.get_num_threads();

        model.eval();
        using var noGrad = no_grad();
        // why: the fused CPU modules repack their weights on every call, which at batch 1 and one step costs ~7 ms for
        // a 3x512 LSTM (docs/benchmarks.md); the same equations as plain matrix products take a fraction of that.
        SamplingStep step;
        try { step = new SamplingStep(model, weights); }
        catch
        {
            model.train(wasTraining);
            throw;
        }
        // why: at batch 1 a step is bound by reading its weights, and libtorch's per-call costs were a third of it.
        if (count == 1 && weights == ScalarType.Float32 && device.type == DeviceType.CPU)
        {
            SingleSampleStep one;
            try { one = step.ForOneSample(); }
            finally
            {
                step.Dispose();                                                      // its copies are not needed while sampling
                model.train(wasTraining);
            }
            return [vocabulary.Decode(SampleOne(one, prime, options, randoms[0], generated[0]))];
        }
        using var owned = step;
        var state = model.ZeroState(count, device);
        torch.set_num_threads(threads ?? ThreadsFor(count, before));
        try
        {
            var logits = new double[count * vocabulary.Size];                       // zeros: uniform when there is no prime
            foreach (var symbol in prime) (logits, state) = Step(step, Enumerable.Repeat(symbol, count).ToArray(), state, device);
            var next = new long[count];
            for (var i = 0; i < options.Length; i++)
            {
                for (var row = 0; row < count; row++)
                {
                    next[row] = Choose(logits.AsSpan(row * vocabulary.Size, vocabulary.Size), options, randoms[row]);
                    generated[row].Add((int)next[row]);
                }
                if (i + 1 < options.Length) (logits, state) = Step(step, next, state, device);
            }
        }
        finally
        {
            torch.set_num_threads(before);
            state.Dispose();
            model.train(wasTraining);
        }
        return generated.Select(g => vocabulary.Decode(g)).ToArray();
    }

    /// <summary>The priming text's symbol indices; throws <see cref="ArgumentOutOfRangeException"/> for an index outside the vocabulary.</summary>
    internal static long[] PrimeOf(Vocabulary vocabulary, SamplingOptions options) => options.PrimeSymbols is { } symbols
        ? symbols.Select(i => i >= 0 && i < vocabulary.Size ? (long)i : throw new ArgumentOutOfRangeException(nameof(options), $"prime symbol index {i} is outside the vocabulary of {vocabulary.Size}")).ToArray()
        : vocabulary.SymbolsOf(options.PrimeText).Select(s => (long)vocabulary.IndexOf(s)).ToArray();

    /// <summary>One sample on the batch-1 step: the same draws as a row of the batched loop (the bench times it alone).</summary>
    internal static List<int> SampleOne(SingleSampleStep step, long[] prime, SamplingOptions options, Random random, List<int> generated)
    {
        var logits = new double[step.VocabularySize];                                    // zeros: uniform when there is no prime
        foreach (var symbol in prime) Widen(step.Step((int)symbol), logits);
        for (var i = 0; i < options.Length; i++)
        {
            var next = Choose(logits, options, random);
            generated.Add(next);
            if (i + 1 < options.Length) Widen(step.Step(next), logits);
        }
        return generated;
    }

    private static void Widen(ReadOnlySpan<float> values, double[] into)
    {
        for (var i = 0; i < into.Length; i++) into[i] = values[i];
    }

    /// <summary>Feeds one symbol per row from <paramref name="state"/> (disposed); returns the logits (B x V, row-major) and the new state.</summary>
    private static (double[] Logits, RecurrentState State) Step(SamplingStep step, long[] symbols, RecurrentState state, Device device)
    {
        using var scope = NewDisposeScope();
        using var x = tensor(symbols, device: device);                               // (B)
        var (logits, next) = step.Step(x, state);
        var floats = logits.cpu().data<float>();
        var values = new double[floats.Count];
        for (var i = 0; i < values.Length; i++) values[i] = floats[i];
        return (values, next.DetachToOuterScope());                                  // out of this step's scope, to the caller
    }

    internal static int Choose(ReadOnlySpan<double> row, SamplingOptions options, Random random)
    {
        if (row.IsEmpty) throw new ArgumentException("no logits to choose from", nameof(row));
        if (options.Method == SamplingMethod.Greedy)
        {
            var best = 0;
            for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
            return best;
        }
        if (options.Method == SamplingMethod.TopK && options.TopK < row.Length)
        {
            var logits = row.ToArray();
            var allowed = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(options.TopK).ToArray();
            return allowed[Draw(allowed.Select(i => logits[i]).ToArray(), options.Temperature, random)];
        }
        return Draw(row, options.Temperature, random);
    }

    /// <summary>
    /// An index drawn from softmax(<paramref name="logits"/> / T), shifted by the max for stability. Without
    /// allocations: a batch-1 sample draws once per character, beside a step that allocates nothing (SingleSampleStep);
    /// only top-k sampling allocates, to sort.
    /// </summary>
    private static int Draw(ReadOnlySpan<double> logits, double temperature, Random random)
    {
        var max = double.NegativeInfinity;
        foreach (var logit in logits) max = Math.Max(max, logit);
        Span<double> weights = logits.Length <= 1024 ? stackalloc double[logits.Length] : new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++) sum += weights[i] = Math.Exp((logits[i] - max) / temperature);
        var draw = random.NextDouble() * sum;
        for (var i = 0; i < logits.Length; i++)
        {
            draw -= weights[i];
            if (draw < 0) return i;
        }
        return logits.Length - 1;
    }
}
