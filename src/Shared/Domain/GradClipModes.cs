namespace RnnSweep.Shared.Domain;

/// <summary>How gradients are clipped (<c>hyperparameters.gradClipMode</c>).</summary>
public static class GradClipModes
{
    /// <summary>Scale all gradients so their total L2 norm is at most the threshold.</summary>
    public const string Norm = "norm";
    /// <summary>Clamp each element to ± the threshold (char-rnn).</summary>
    public const string Value = "value";

    public static readonly IReadOnlyList<string> All = [Norm, Value];
}
