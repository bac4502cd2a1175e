namespace RnnSweep.Shared.Diagnostics;

/// <summary>Sizes from a process's <c>/proc/PID/status</c> (Linux), as the kernel reports them.</summary>
public static class ProcStatus
{
    /// <summary>
    /// A size field in bytes: <c>VmHWM:</c> (the peak resident size) or <c>VmRSS:</c> (the resident size now) of
    /// <paramref name="pid"/>, or of this process when it is null. 0 where /proc or the field is missing.
    /// </summary>
    public static long Bytes(string field, int? pid = null)
    {
        var path = pid is { } id ? $"/proc/{id}/status" : "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        if (line is null) return 0;
        return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024; // reported in kB
    }
}
