using System.Runtime;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Gives the memory a finished job freed back to the operating system: a torch job's tensors, an n-gram job's counts.
/// A Worker trains run after run in one process; the C allocator (glibc's or tcmalloc) keeps the freed blocks of
/// libtorch's tensors resident for reuse, and the GC keeps large arrays until it next collects;
/// returning them keeps the Worker's resident size between jobs flat (<c>rnnsweep bench --part worker-memory</c>
/// reports it), so a memory limit sized for one run holds for many.
/// </summary>
public static class FreedMemory
{
    private static volatile bool _noTrim;

    /// <summary>
    /// Collects the managed heap (tensors owned by unreachable managed wrappers are disposed by their finalizers),
    /// then asks the C allocator to hand every free page back (<see cref="NativeAllocator.ReleaseFreePages"/>); where
    /// it is neither glibc nor tcmalloc, only the collection runs.
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
        _noTrim = !NativeAllocator.ReleaseFreePages(); // neither glibc nor tcmalloc (musl): its allocator returns memory its own way
    }
}
