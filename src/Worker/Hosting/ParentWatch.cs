using System.Runtime.InteropServices;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Stops a Worker whose parent is gone. <c>rnnsweep sweep</c> starts local Workers with <see cref="Variable"/> set to
/// its own process id; if it dies without stopping them (SIGKILL, a closed terminal), each Worker sees its parent
/// change (it is re-parented to init or a subreaper) within a second and stops as on SIGTERM: its run is released
/// and resumes elsewhere from its latest checkpoint.
/// </summary>
/// <remarks>
/// why not PR_SET_PDEATHSIG: Linux sends it when the parent's forking thread exits, and .NET starts processes from
/// thread-pool threads that retire at will, so a Worker would be killed while rnnsweep still runs.
/// </remarks>
public sealed class ParentWatch(int parentPid, IHostApplicationLifetime lifetime, ILogger<ParentWatch> log) : BackgroundService
{
    public const string Variable = "RNNSWEEP_PARENT_PID";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The parent to watch, from <see cref="Variable"/>; null when unset, malformed or not on Linux.</summary>
    public static int? FromEnvironment() =>
        OperatingSystem.IsLinux() && int.TryParse(Environment.GetEnvironmentVariable(Variable), out var pid) && pid > 1 ? pid : null;

    [DllImport("libc", EntryPoint = "getppid")]
    private static extern int GetParentPid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Whether a process with this id exists (signal 0 checks without sending anything).</summary>
    private static bool Exists(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != NoSuchProcess;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await UntilGoneAsync(parentPid, stoppingToken).ConfigureAwait(false);
        if (stoppingToken.IsCancellationRequested) return;
        log.LogWarning("The process that started this Worker ({Parent}) is gone; stopping (the run is released and resumes elsewhere)", parentPid);
        lifetime.StopApplication();
    }

    /// <summary>
    /// For a process without a host (<c>RnnSweep.Worker bench</c>): with <see cref="Variable"/> set, ends this process
    /// (exit code 1) within about a second of its parent's end, so a killed <c>rnnsweep bench</c> leaves no Worker
    /// measuring on.
    /// </summary>
    public static void ExitWithParent()
    {
        if (FromEnvironment() is not { } parent) return;
        _ = Task.Run(async () =>
        {
            await UntilGoneAsync(parent, CancellationToken.None).ConfigureAwait(false);
            Console.Error.WriteLine($"the process that started this bench part ({parent}) is gone; stopping");
            Environment.Exit(1);
        });
    }

    /// <summary>Returns once <paramref name="parentPid"/> is gone (polled every <see cref="Interval"/>) or the token is cancelled.</summary>
    private static async Task UntilGoneAsync(int parentPid, CancellationToken ct)
    {
        // Started directly by it (dotnet runs the Worker in its own process): the parent id changes the moment it dies,
        // even if the id is reused. Started through a wrapper (sudo, a shell): watch that the process still exists.
        var direct = GetParentPid() == parentPid;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            if (direct ? GetParentPid() != parentPid : !Exists(parentPid)) return;
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }
}
