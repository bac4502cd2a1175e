namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Max absolute differences between <see cref="GateExtractor"/>'s recomputation and the fused module on the same
/// input. Lists are per layer (0-based).
/// </summary>
/// <param name="Output">The whole final-layer output, (B, T, H).</param>
/// <param name="LayerHidden">Each layer's h over all steps, against the fused module run one layer at a time
/// with that layer's weights.</param>
/// <param name="LastHidden">Each layer's h after the last step, against the full fused module's h_n.</param>
/// <param name="LastCell">Each layer's c after the last step (LSTM; empty otherwise), against c_n.</param>
/// <param name="Logits">The output layer applied to the recomputed h, against the model's own forward pass.</param>
public sealed record ExtractionCheck(
    double Output,
    IReadOnlyList<double> LayerHidden,
    IReadOnlyList<double> LastHidden,
    IReadOnlyList<double> LastCell,
    double Logits)
{
    /// <summary>The largest of all differences.</summary>
    public double Max => new[] { Output, Logits }.Concat(LayerHidden).Concat(LastHidden).Concat(LastCell).Max();
}
