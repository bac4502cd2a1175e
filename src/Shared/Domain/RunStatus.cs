namespace RnnSweep.Shared.Domain;

/// <summary>The life of a run (one grid cell). Stored as lowercase text in <c>runs.status</c>.</summary>
public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Diverged = "diverged";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Queued, Running, Succeeded, Failed, Diverged, Cancelled];

    /// <summary>A run in one of these states will not change again unless a person resumes it.</summary>
    public static bool IsFinal(string status) => status is Succeeded or Failed or Diverged or Cancelled;
}
