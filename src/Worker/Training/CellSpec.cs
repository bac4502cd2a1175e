using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>One grid cell: the recurrent cell type, its depth and width, and the run's hyperparameters.</summary>
public sealed record CellSpec(ModelType Model, int Layers, int Hidden, Hyperparameters Hyperparameters);
