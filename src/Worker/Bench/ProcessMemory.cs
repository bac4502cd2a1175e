namespace RnnSweep.Worker.Bench;

/// <summary>This process's resident memory, from the kernel.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM of /proc/self/status (the peak resident size) in bytes; 0 where /proc is missing.</summary>
    public static long PeakResidentBytes() => StatusBytes("VmHWM:");

    /// <summary>VmRSS of /proc/self/status (the resident size now) in bytes; 0 where /proc is missing.</summary>
    public static long ResidentBytes() => StatusBytes("VmRSS:");

    private static long StatusBytes(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        if (line is null) return 0;
        return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024; // reported in kB
    }
}
