using RnnSweep.Shared.Domain;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>The optimizers of the hyperparameter record, and the learning-rate schedule.</summary>
internal static class OptimizerFactory
{
    public static OptimizerHelper Create(Hyperparameters hp, IEnumerable<Parameter> parameters) => hp.Optimizer switch
    {
        // Betas spelled out: PyTorch's defaults, so results compare with the Python reproductions.
        "adam" => optim.Adam(parameters, hp.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8),
        // char-rnn's RMSProp: alpha is its decay_rate.
        "rmsprop" => optim.RMSProp(parameters, hp.LearningRate, alpha: hp.RmspropAlpha, eps: 1e-8),
        _ => throw new ArgumentException($"unknown optimizer '{hp.Optimizer}'", nameof(hp)),
    };

    /// <summary>char-rnn's schedule: multiply by lrDecay at the end of epoch e (1-based) when
    /// e >= lrDecayStart and (e - lrDecayStart) % lrDecayEvery == 0.</summary>
    public static double Decayed(Hyperparameters hp, int epoch, double learningRate) =>
        epoch >= hp.LrDecayStart && (epoch - hp.LrDecayStart) % hp.LrDecayEvery == 0
            ? learningRate * hp.LrDecay
            : learningRate;

    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }
}
