namespace RnnSweep.Worker.Analysis;

/// <summary>How the next character is chosen from the model's distribution.</summary>
public enum SamplingMethod
{
    /// <summary>The most probable character (argmax); ignores temperature and seed.</summary>
    Greedy,
    /// <summary>Drawn from softmax(logits / temperature).</summary>
    Multinomial,
    /// <summary>Drawn from softmax(logits / temperature) restricted to the <see cref="SamplingOptions.TopK"/> most probable.</summary>
    TopK,
}

/// <summary>char-rnn's sampling options: length, temperature, primetext, seed, argmax or sampling (plus top-k).</summary>
public sealed record SamplingOptions
{
    public int Length { get; init; } = 500;
    public SamplingMethod Method { get; init; } = SamplingMethod.Multinomial;
    public double Temperature { get; init; } = 1.0;
    public int TopK { get; init; } = 10;
    /// <summary>Fed to the model first; empty: the first character is drawn uniformly (char-rnn), or symbol 0 if greedy.</summary>
    public string PrimeText { get; init; } = "";
    /// <summary>
    /// The priming symbols as vocabulary indices, used instead of <see cref="PrimeText"/> when set: text cut from the
    /// corpus, fed exactly as the model reads it. Why: in a byte vocabulary a cut may split a multi-byte character,
    /// whose half has no text form (decoding gives U+FFFD, whose bytes need not be in the vocabulary).
    /// </summary>
    public IReadOnlyList<int>? PrimeSymbols { get; init; }
    public long Seed { get; init; } = 42;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Length, nameof(Length));
        if (!(Temperature > 0 && double.IsFinite(Temperature))) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be positive");
        if (Method == SamplingMethod.TopK) ArgumentOutOfRangeException.ThrowIfLessThan(TopK, 1, nameof(TopK));
    }
}
