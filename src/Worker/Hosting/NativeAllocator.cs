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
    // Looked up in the process's global scope (the program and what it preloaded), so whichever tcmalloc LD_PRELOAD
    // named (libtcmalloc_minimal or the full libtcmalloc) is the one found, never a second copy.
    private static readonly Lazy<nint> ReleaseFreeMemoryExport = new(() =>
        NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "MallocExtension_ReleaseFreeMemory", out var address) ? address : 0);

    /// <summary>Whether tcmalloc serves this process's malloc (it was preloaded).</summary>
    public static bool IsTcmalloc => ReleaseFreeMemoryExport.Value != 0;

    /// <summary><c>tcmalloc</c> or <c>glibc malloc</c>, for logs and reports.</summary>
    public static string Name => IsTcmalloc ? "tcmalloc" : "glibc malloc";

    /// <summary>
    /// Hands the pages of freed blocks back to the operating system: tcmalloc's <c>MallocExtension_ReleaseFreeMemory</c>,
    /// or glibc's <c>malloc_trim(0)</c>. Returns false where neither exists (another C library).
    /// </summary>
    public static bool ReleaseFreePages()
    {
        if (IsTcmalloc)
        {
            Marshal.GetDelegateForFunctionPointer<ReleaseFreeMemory>(ReleaseFreeMemoryExport.Value)();
            return true;
        }
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ReleaseFreeMemory();

    // glibc by its soname (a bare "libc" would find the linker script libc.so). DllImport rather than LibraryImport:
    // the signature is blittable, and the generator would need unsafe code.
    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
