using System.Runtime;
using System.Runtime.InteropServices;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Gives the memory a finished torch job freed back to the operating system. A Worker trains run after run in one
/// process: without this its peak resident size grew from run to run (glibc keeps freed blocks of libtorch's
/// tensors in its heap, fragmented, and the next run's peak lands on top of them), which a memory limit sized for
/// one run eventually kills. Costs tens of milliseconds per job.
/// </summary>
public static class FreedMemory
{
    /// <summary>
    /// Collects the managed heap (tensors still owned by unreachable managed wrappers are disposed by their
    /// finalizers), then asks glibc to hand every free page back (<c>malloc_trim(0)</c>). A no-op for glibc where
    /// the C library is another one (musl, other systems).
    /// </summary>
    public static void Return()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc: its allocator returns memory its own way.
        }
    }

    // glibc by its soname (a bare "libc" would find the linker script libc.so). DllImport rather than LibraryImport:
    // the signature is blittable, and the generator would need unsafe code.
    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
