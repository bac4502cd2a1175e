using RnnSweep.Shared.Diagnostics;

namespace RnnSweep.Worker.Bench;

/// <summary>This process's resident memory, from the kernel.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM (the peak resident size) in bytes; 0 where /proc is missing.</summary>
    public static long PeakResidentBytes() => ProcStatus.Bytes("VmHWM:");

    /// <summary>VmRSS (the resident size now) in bytes; 0 where /proc is missing.</summary>
    public static long ResidentBytes() => ProcStatus.Bytes("VmRSS:");
}
