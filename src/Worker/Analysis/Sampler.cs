using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Generates text one character per step with the recurrent state carried, batch 1, dropout off. Why not re-run
/// the prefix for every new character (the seed's generator): that is quadratic in the length and, for a model
/// trained with carried state, not even the same computation.
/// Why System.Random with an explicit seed rather than torch's generator: sampling must be reproducible and must
/// not advance the global torch generator that training's dropout (and resume exactness) depends on.
/// </summary>
public static class Sampler
{
    /// <returns>The generated text, without the priming text.</returns>
    public static string Sample(CharRnn model, Vocabulary vocabulary, SamplingOptions options)
    {
        options.Validate();
        var prime = options.PrimeSymbols is { } symbols
            ? symbols.Select(i => i >= 0 && i < vocabulary.Size ? (long)i : throw new ArgumentOutOfRangeException(nameof(options), $"prime symbol index {i} is outside the vocabulary of {vocabulary.Size}")).ToArray()
            : vocabulary.SymbolsOf(options.PrimeText).Select(s => (long)vocabulary.IndexOf(s)).ToArray();
        var device = model.parameters().First().device;
        var random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        var generated = new List<int>(options.Length);
        var wasTraining = model.training;

        model.eval();
        using var noGrad = no_grad();
        // why: the fused CPU modules repack their weights on every call, which at batch 1 and one step costs ~7 ms for
        // a 3x512 LSTM (docs/benchmarks.md); the same equations as plain matrix products (checked against the fused
        // module to 1e-5 by the gate tests) take a fraction of that.
        using var cells = new GateExtractor(model);
        var head = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var (headWeight, headBias) = (head["head.weight"], head["head.bias"]);   // (V, H), (V)
        var state = model.ZeroState(1, device);
        try
        {
            // The priming text in one forward pass; its last step's logits give the first new character.
            var logits = new double[vocabulary.Size];                             // zeros: uniform when there is no prime
            if (prime.Length > 0) (logits, state) = Step(cells, headWeight, headBias, prime, state, device);

            for (var i = 0; i < options.Length; i++)
            {
                var next = Choose(logits, options, random);
                generated.Add(next);
                if (i + 1 < options.Length) (logits, state) = Step(cells, headWeight, headBias, [next], state, device);
            }
        }
        finally
        {
            state.Dispose();
            model.train(wasTraining);
        }
        return vocabulary.Decode(generated);
    }

    /// <summary>Feeds symbols (1, T) from <paramref name="state"/> (disposed), returns the last step's logits (V) and the new state.</summary>
    private static (double[] Logits, RecurrentState State) Step(GateExtractor cells, Tensor headWeight, Tensor headBias, long[] symbols, RecurrentState state, Device device)
    {
        using var scope = NewDisposeScope();
        using var x = tensor(symbols, [1, symbols.Length], device: device);       // (1, T)
        using var trace = cells.Extract(x, state);
        var h = trace.Output[0, symbols.Length - 1];                              // (H)
        var last = addmv(headBias, headWeight, h, 1, 1).to_type(ScalarType.Float64).cpu().data<double>().ToArray(); // (V)
        var next = new RecurrentState(trace.Final.H.clone(), trace.Final.C?.clone());
        state.Dispose();
        return (last, next.DetachToOuterScope());
    }

    internal static int Choose(double[] logits, SamplingOptions options, Random random)
    {
        if (options.Method == SamplingMethod.Greedy)
        {
            var best = 0;
            for (var i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }

        // softmax(logits / T), over the k most probable only for top-k; shifted by the max for stability.
        var allowed = Enumerable.Range(0, logits.Length).ToArray();
        if (options.Method == SamplingMethod.TopK && options.TopK < logits.Length)
        {
            allowed = allowed.OrderByDescending(i => logits[i]).ThenBy(i => i).Take(options.TopK).ToArray();
        }
        var max = allowed.Max(i => logits[i]);
        var weights = allowed.Select(i => Math.Exp((logits[i] - max) / options.Temperature)).ToArray();
        var draw = random.NextDouble() * weights.Sum();
        for (var j = 0; j < allowed.Length; j++)
        {
            draw -= weights[j];
            if (draw < 0) return allowed[j];
        }
        return allowed[^1];
    }
}
