namespace RnnSweep.Shared.Diagnostics;

/// <summary>
/// tcmalloc, the C allocator a Worker runs with: the Orchestrator preloads it into the Workers it starts, the Worker
/// images preload it, and a Worker reports whether it has it (docs/benchmarks.md, "Allocator").
/// </summary>
public static class Tcmalloc
{
    /// <summary>tcmalloc without its heap profiler, by soname (Debian's and Ubuntu's libtcmalloc-minimal4).</summary>
    public const string Library = "libtcmalloc_minimal.so.4";

    /// <summary>
    /// Environment variable choosing a local Worker's allocator, <see cref="Chosen"/> or <see cref="Glibc"/>: read by the
    /// Orchestrator when it starts Workers, and inherited by them.
    /// </summary>
    public const string ChoiceVariable = "RNNSWEEP_ALLOCATOR";
    public const string Chosen = "tcmalloc";
    public const string Glibc = "glibc";
}
