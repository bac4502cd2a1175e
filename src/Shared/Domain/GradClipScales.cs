namespace RnnSweep.Shared.Domain;

/// <summary>Which gradient is clipped and stepped on (<c>hyperparameters.gradClipScale</c>).</summary>
public static class GradClipScales
{
    /// <summary>The gradient of the loss averaged over the batch's B x T symbols (PyTorch's usual).</summary>
    public const string Mean = "mean";
    /// <summary>The gradient of the loss summed over the T time steps and averaged over the B streams (char-rnn's train.lua).</summary>
    public const string Sum = "sum";

    public static readonly IReadOnlyList<string> All = [Mean, Sum];
}
