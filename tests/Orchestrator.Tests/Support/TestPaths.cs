namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>Where the repository, its build outputs and the tests' scratch folder are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration these tests were built with, used to find the Worker's build.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";

    public static string Home { get; } = Environment.GetEnvironmentVariable("RNNSWEEP_HOME") is { Length: > 0 } home
        ? home : Path.Combine(RepoRoot, ".rnnsweep");

    public static string WorkerDll => Path.Combine(RepoRoot, "src", "Worker", "bin", Configuration, "net10.0", "linux-x64", "RnnSweep.Worker.dll");
    public static string OrchestratorOutput => Path.Combine(RepoRoot, "src", "Orchestrator", "bin", Configuration, "net10.0");

    public static string Artifacts(string name)
    {
        var dir = Path.Combine(Home, "test-artifacts", name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RnnSweep.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("RnnSweep.slnx not found above " + AppContext.BaseDirectory);
    }
}
