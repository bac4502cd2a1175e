using System.Runtime;
using System.Runtime.InteropServices;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Gives the memory a finished torch job freed back to the operating system. A Worker trains run after run in one
/// process, and glibc keeps the freed blocks of libtorch's tensors in its heap, resident, below any block still live;
/// returning them keeps the Worker's resident size between jobs flat (<c>rnnsweep bench --part worker-memory</c>
/// reports it), so a memory limit sized for one run holds for many.
/// </summary>
public static class FreedMemory
{
    private static volatile bool _noTrim;

    /// <summary>
    /// Collects the managed heap (tensors owned by unreachable managed wrappers are disposed by their finalizers),
    /// then asks glibc to hand every free page back (<c>malloc_trim(0)</c>); where the C library is not glibc, only
    /// the collection runs.
    /// </summary>
    /// <param name="compactLargeObjects">Also compact the large object heap: worth it only when large arrays were
    /// just dropped (a corpus replaced by another), since it copies every large array still live.</param>
    public static void Return(bool compactLargeObjects = false)
    {
        if (compactLargeObjects) GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: compactLargeObjects);
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (_noTrim || !OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _noTrim = true; // not glibc (musl): its allocator returns memory its own way
        }
    }

    // glibc by its soname (a bare "libc" would find the linker script libc.so). DllImport rather than LibraryImport:
    // the signature is blittable, and the generator would need unsafe code.
    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
