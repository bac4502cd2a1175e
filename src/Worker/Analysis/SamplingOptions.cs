using RnnSweep.Shared.Domain;

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

/// <summary>
/// char-rnn's sampling options: length, temperature, primetext, seed, argmax or sampling (plus top-k). The sampler's
/// view of <see cref="SampleSettings"/> (the method as an enum, plus <see cref="PrimeSymbols"/>), whose defaults it takes.
/// </summary>
public sealed record SamplingOptions
{
    public int Length { get; init; } = SampleSettings.Default.Length;
    public SamplingMethod Method { get; init; } = ParseMethod(SampleSettings.Default.Method);
    public double Temperature { get; init; } = SampleSettings.Default.Temperature;
    public int TopK { get; init; } = SampleSettings.Default.TopK;
    /// <summary>Fed to the model first; empty: the first character is drawn uniformly (char-rnn), or symbol 0 if greedy.</summary>
    public string PrimeText { get; init; } = SampleSettings.Default.PrimeText;
    /// <summary>
    /// The priming symbols as vocabulary indices, used instead of <see cref="PrimeText"/> when set: text cut from the
    /// corpus, fed exactly as the model reads it. Why: in a byte vocabulary a cut may split a multi-byte character,
    /// whose half has no text form (decoding gives U+FFFD, whose bytes need not be in the vocabulary).
    /// </summary>
    public IReadOnlyList<int>? PrimeSymbols { get; init; }
    public long Seed { get; init; } = SampleSettings.Default.Seed;

    /// <summary>The options a stored or requested sample asks for.</summary>
    /// <exception cref="ArgumentException">An unknown method name.</exception>
    public static SamplingOptions From(SampleSettings settings) => new()
    {
        Method = ParseMethod(settings.Method), Temperature = settings.Temperature, TopK = settings.TopK,
        PrimeText = settings.PrimeText, Seed = settings.Seed, Length = settings.Length,
    };

    public static string MethodName(SamplingMethod method) => method switch
    {
        SamplingMethod.Greedy => SamplingMethods.Greedy,
        SamplingMethod.TopK => SamplingMethods.TopK,
        _ => SamplingMethods.Multinomial,
    };

    /// <exception cref="ArgumentException">Not one of <see cref="SamplingMethods.All"/>.</exception>
    public static SamplingMethod ParseMethod(string name) => name switch
    {
        SamplingMethods.Greedy => SamplingMethod.Greedy,
        SamplingMethods.TopK => SamplingMethod.TopK,
        SamplingMethods.Multinomial => SamplingMethod.Multinomial,
        _ => throw new ArgumentException($"unknown sampling method '{name}'"),
    };

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Length, nameof(Length));
        if (!(Temperature > 0 && double.IsFinite(Temperature))) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be positive");
        if (Method == SamplingMethod.TopK) ArgumentOutOfRangeException.ThrowIfLessThan(TopK, 1, nameof(TopK));
    }
}
