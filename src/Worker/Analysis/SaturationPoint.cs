namespace RnnSweep.Worker.Analysis;

/// <summary>
/// One point of the paper's saturation plot (one per gate unit): x = <see cref="RightFraction"/>, the fraction of
/// time steps with activation above 0.9; y = <see cref="LeftFraction"/>, the fraction below 0.1.
/// <see cref="Layer"/> is 0-based (PyTorch's l0; the paper's "layer 1"); <see cref="Unit"/> is 0-based.
/// </summary>
public sealed record SaturationPoint(int Layer, Gate Gate, int Unit, double LeftFraction, double RightFraction);
