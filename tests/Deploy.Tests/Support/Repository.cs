namespace RnnSweep.Deploy.Tests.Support;

/// <summary>Paths in the repository under test, found from the test's output folder upwards.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Deploy => Path.Combine(Root, "deploy");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RnnSweep.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException($"RnnSweep.slnx not found above {AppContext.BaseDirectory}");
    }
}
