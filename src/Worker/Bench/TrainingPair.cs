using RnnSweep.Worker.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// A model the bench trains, seeded as the Trainer seeds a run, with its optimizer; for <c>precision: bfloat16</c>
/// also the <see cref="BFloat16Step"/> working copy the Trainer would use. The precision bench and its probe compare
/// float32 against bfloat16 from the same start with these.
/// </summary>
/// <param name="Kernel">The float32 step's kernel decisions, as the Trainer would take them for this model (<see cref="TrainingKernel"/>).</param>
internal sealed record TrainingPair(CharRnn Master, optim.Optimizer Optimizer, BFloat16Step? Half, TrainingKernel Kernel) : IDisposable
{
    /// <summary>A float32 model and its optimizer; with <paramref name="bfloat16"/>, the working copy too.</summary>
    public static TrainingPair Create(CellSpec cell, int v, bool bfloat16)
    {
        var master = Trainer.CreateInitialModel(cell, v, CPU);
        var optimizer = OptimizerFactory.Create(cell.Hyperparameters, master.parameters());
        return new TrainingPair(master, optimizer, bfloat16 ? new BFloat16Step(master, Trainer.CreateModel(cell, v, CPU)) : null, new TrainingKernel(cell, v));
    }

    /// <summary>The same start converted whole to bfloat16 (weights, and so activations, gradients and optimizer state): the probe's naive variant.</summary>
    public static TrainingPair CreateBFloat16Model(CellSpec cell, int v)
    {
        var model = Trainer.CreateInitialModel(cell, v, CPU);
        model.to(ScalarType.BFloat16);
        return new TrainingPair(model, OptimizerFactory.Create(cell.Hyperparameters, model.parameters()), null, new TrainingKernel(cell, v));
    }

    public void Dispose()
    {
        Half?.Dispose();
        Optimizer.Dispose();
        Master.Dispose();
    }
}
