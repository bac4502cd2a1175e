namespace RnnSweep.Shared.Domain;

/// <summary>
/// The two checkpoints a run keeps, stored as lowercase text in <c>checkpoints.kind</c>: <see cref="Latest"/> (the last
/// finished epoch, to resume exactly) and <see cref="Best"/> (the lowest validation loss, evaluated and analysed).
/// </summary>
public static class CheckpointKind
{
    public const string Latest = "latest";
    public const string Best = "best";

    public static readonly IReadOnlyList<string> All = [Latest, Best];
}
