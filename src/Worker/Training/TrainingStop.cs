namespace RnnSweep.Worker.Training;

/// <summary>Why a run stopped training; <see cref="None"/> while it should go on.</summary>
public enum TrainingStop
{
    None,
    EarlyStopped,
    MaxEpochs,
    Diverged,
}
