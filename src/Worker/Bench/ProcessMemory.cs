namespace RnnSweep.Worker.Bench;

/// <summary>This process's peak resident memory, from the kernel.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM of /proc/self/status in bytes (0 where /proc is missing).</summary>
    public static long PeakResidentBytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        if (line is null) return 0;
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024; // reported in kB
    }
}
