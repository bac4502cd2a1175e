namespace RnnSweep.Shared.Domain;

/// <summary>How characters enter the first layer (<c>hyperparameters.input</c>).</summary>
public static class InputEncodings
{
    /// <summary>One-hot vectors (the paper).</summary>
    public const string OneHot = "onehot";
    /// <summary>An embedding lookup: the same first layer, cheaper.</summary>
    public const string Embedding = "embedding";

    public static readonly IReadOnlyList<string> All = [OneHot, Embedding];
}
