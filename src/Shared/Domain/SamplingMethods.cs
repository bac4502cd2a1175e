namespace RnnSweep.Shared.Domain;

/// <summary>How a sample's characters are drawn, as stored in <c>samples.method</c> and asked for in the API and CLI.</summary>
public static class SamplingMethods
{
    /// <summary>The most probable character (argmax).</summary>
    public const string Greedy = "greedy";
    /// <summary>Drawn from softmax(logits / temperature).</summary>
    public const string Multinomial = "multinomial";
    /// <summary>Drawn from the top k characters only.</summary>
    public const string TopK = "topk";

    public static readonly IReadOnlyList<string> All = [Greedy, Multinomial, TopK];
}
