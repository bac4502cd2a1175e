using Hangfire.Dashboard;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The Hangfire dashboard links back to the results dashboard (a menu entry); runs link to their jobs.</summary>
public static class HangfireLinks
{
    public const string MenuText = "Results dashboard";
    private static int _added;

    /// <summary>Hangfire's navigation menu is process-wide: the entry is added once however many apps are built.</summary>
    public static void AddMenuEntry()
    {
        if (Interlocked.Exchange(ref _added, 1) == 1) return;
        NavigationMenu.Items.Add(_ => new MenuItem(MenuText, "/"));
    }

    public static string JobUrl(string jobId) => $"/hangfire/jobs/details/{Uri.EscapeDataString(jobId)}";
}
