namespace RnnSweep.Shared.Domain;

/// <summary>The optimizers a run may train with (<c>hyperparameters.optimizer</c>).</summary>
public static class Optimizers
{
    public const string Adam = "adam";
    /// <summary>The paper's (char-rnn's).</summary>
    public const string RmsProp = "rmsprop";

    public static readonly IReadOnlyList<string> All = [Adam, RmsProp];
}
