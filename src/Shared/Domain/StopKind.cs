namespace RnnSweep.Shared.Domain;

/// <summary>
/// Why training stopped, as a closed set stored in <c>runs.stop_kind</c> beside the prose <c>runs.stop_reason</c>:
/// code decides on the kind (resume with a higher epoch cap continues <see cref="MaxEpochs"/> runs), people read the reason.
/// </summary>
public static class StopKind
{
    /// <summary>Validation loss stopped improving for <c>patience</c> epochs.</summary>
    public const string EarlyStopping = "early_stopping";
    /// <summary>The run reached its epoch cap (<c>runs.max_epochs</c>).</summary>
    public const string MaxEpochs = "max_epochs";
    /// <summary>The loss went non-finite or exploded, after every allowed restart at a lower learning rate.</summary>
    public const string Divergence = "divergence";

    public static readonly IReadOnlyList<string> All = [EarlyStopping, MaxEpochs, Divergence];
}
