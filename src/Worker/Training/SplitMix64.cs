namespace RnnSweep.Worker.Training;

/// <summary>
/// A tiny, fully specified random generator for window starts. Why not System.Random or torch's generator:
/// its output is fixed by this code alone, and it is re-seeded from (seed, epoch), so a resumed run draws the
/// same windows without storing generator state.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public static SplitMix64 For(long seed, int epoch) =>
        new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)epoch * 0xBF58476D1CE4E5B9UL));

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound); the modulo bias is negligible for corpus-sized bounds.</summary>
    public long NextBelow(long bound) => (long)(Next() % (ulong)bound);
}
