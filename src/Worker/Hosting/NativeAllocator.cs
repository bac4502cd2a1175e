using System.Runtime.InteropServices;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Which C allocator serves this process's native memory (libtorch's tensors): tcmalloc when it was preloaded
/// (<c>LD_PRELOAD</c>, as <c>rnnsweep</c> starts its Workers and as the Worker images run), otherwise the C library's.
/// Why it matters: with glibc's malloc the LSTM 3x512 training loop ran about 1.3x slower on an AMD Zen 3 and slowed
/// down as the process aged (docs/benchmarks.md, "Allocator").
/// </summary>
public static class NativeAllocator
{
    /// <summary>tcmalloc's soname, as the Orchestrator preloads it.</summary>
    public const string TcmallocLibrary = "libtcmalloc_minimal.so.4";

    private static readonly Lazy<bool> Tcmalloc = new(() => MappedLibraries().Any(l => l.Contains("libtcmalloc", StringComparison.Ordinal)));

    /// <summary>Whether tcmalloc is loaded into this process (read from /proc/self/maps once).</summary>
    public static bool IsTcmalloc => Tcmalloc.Value;

    /// <summary><c>tcmalloc</c> or <c>glibc malloc</c>, for logs and reports.</summary>
    public static string Name => IsTcmalloc ? "tcmalloc" : "glibc malloc";

    /// <summary>
    /// Hands the pages of freed blocks back to the operating system: tcmalloc's <c>MallocExtension_ReleaseFreeMemory</c>,
    /// or glibc's <c>malloc_trim(0)</c>. Returns false where neither exists (another C library).
    /// </summary>
    public static bool ReleaseFreePages()
    {
        try
        {
            if (IsTcmalloc) ReleaseFreeMemory();
            else MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private static IEnumerable<string> MappedLibraries()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    // Both by soname: a bare "libc" would find the linker script libc.so, and the preloaded tcmalloc is found again
    // by its soname without a second copy. DllImport rather than LibraryImport: the signatures are blittable, and the
    // generator would need unsafe code.
    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport(TcmallocLibrary, EntryPoint = "MallocExtension_ReleaseFreeMemory")]
    private static extern void ReleaseFreeMemory();
}
