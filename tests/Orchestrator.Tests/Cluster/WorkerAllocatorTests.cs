using System.Diagnostics;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>The allocator a local Worker gets: tcmalloc preloaded unless glibc is chosen, and clear errors.</summary>
public sealed class WorkerAllocatorTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Installed = "/opt/lib/libtcmalloc_minimal.so.4";

    private static Dictionary<string, string> SettingsFor(string? choice, string? found) =>
        WorkerAllocator.Settings(choice, () => found).ToDictionary(s => s.Key, s => s.Value);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("tcmalloc")]
    public void Tcmalloc_IsPreloaded_WhenInstalled(string? choice)
    {
        var settings = SettingsFor(choice, Installed);
        Assert.Equal(Installed, settings["LD_PRELOAD"]);
        Assert.Equal("1", settings["MALLOC_ARENA_MAX"]);
        Assert.Equal("1", settings["THP_MEM_ALLOC_ENABLE"]);
    }

    [Fact]
    public void Glibc_WhenChosen_OrWhenTcmallocIsMissingAndNotAskedFor()
    {
        Assert.DoesNotContain("LD_PRELOAD", SettingsFor("glibc", Installed).Keys);
        Assert.DoesNotContain("LD_PRELOAD", SettingsFor(null, null).Keys);
        Assert.Equal("1", SettingsFor("glibc", Installed)["MALLOC_ARENA_MAX"]); // glibc keeps its one-arena setting
    }

    [Theory]
    [InlineData("jemalloc", "must be tcmalloc or glibc, not 'jemalloc'")]
    [InlineData("TCMALLOC", "must be tcmalloc or glibc, not 'TCMALLOC'")]
    public void AnUnknownChoice_IsNamed(string choice, string message)
    {
        var e = Assert.Throws<ValidationException>(() => SettingsFor(choice, Installed));
        var error = Assert.Single(e.Errors);
        Assert.Equal(WorkerAllocator.ChoiceVariable, error.Field);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void TcmallocAskedFor_ButMissing_SaysWhatToInstall()
    {
        var e = Assert.Throws<ValidationException>(() => SettingsFor("tcmalloc", null));
        Assert.Contains("libtcmalloc-minimal4", e.Message);
        Assert.Contains($"{WorkerAllocator.ChoiceVariable}=glibc", e.Message);
    }

    [Fact]
    public void AVariableTheEnvironmentSets_IsKept()
    {
        var psi = new ProcessStartInfo("true");
        psi.Environment["LD_PRELOAD"] = "/somewhere/libother.so";
        psi.Environment["MALLOC_ARENA_MAX"] = "4";
        WorkerAllocator.Apply(psi);
        Assert.Equal("/somewhere/libother.so", psi.Environment["LD_PRELOAD"]);
        Assert.Equal("4", psi.Environment["MALLOC_ARENA_MAX"]);
        Assert.Equal("1", psi.Environment["THP_MEM_ALLOC_ENABLE"]);
    }

    [Fact]
    public void TcmallocChosenByName_JoinsAPreloadTheEnvironmentHas()
    {
        var installed = WorkerAllocator.FindTcmalloc();
        Assert.NotNull(installed); // scripts/prerequisites.sh installs it
        var psi = new ProcessStartInfo("true");
        psi.Environment["LD_PRELOAD"] = "/somewhere/libother.so";
        psi.Environment[WorkerAllocator.ChoiceVariable] = WorkerAllocator.Tcmalloc;
        WorkerAllocator.Apply(psi);
        Assert.Equal($"{installed}:/somewhere/libother.so", psi.Environment["LD_PRELOAD"]);
    }

    [Fact]
    public void TheServer_GetsTcmallocAlone_OrGlibcsHugePages()
    {
        var tcmalloc = WorkerAllocator.ServerSettings(null, () => Installed).ToDictionary(s => s.Key, s => s.Value);
        Assert.Equal(Installed, tcmalloc["LD_PRELOAD"]);
        Assert.Equal(["LD_PRELOAD", "TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD"], tcmalloc.Keys.Order());   // libtorch's settings are the Worker's
        Assert.Equal([new("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")], WorkerAllocator.ServerSettings("glibc", () => Installed));
        Assert.Equal([new("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")], WorkerAllocator.ServerSettings(null, () => null));
        Assert.Throws<ValidationException>(() => WorkerAllocator.ServerSettings("jemalloc", () => Installed));
    }

    /// <summary>The private server the tests run on was started by LocalPostgres: its postmaster maps tcmalloc.</summary>
    [Fact]
    public void ThePrivateServer_RunsOnTcmalloc()
    {
        Assert.NotNull(WorkerAllocator.FindTcmalloc()); // scripts/prerequisites.sh installs it
        var postmaster = File.ReadLines(Path.Combine(postgres.Server.DataDir, "postmaster.pid")).First();
        Assert.Contains(WorkerAllocator.TcmallocLibrary, File.ReadAllText($"/proc/{postmaster}/maps"));
    }

    /// <summary>
    /// The Workers 'rnnsweep sweep' starts really run on tcmalloc (the test command installs it), and on glibc when
    /// RNNSWEEP_ALLOCATOR says so: read from each process's own memory map.
    /// </summary>
    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task LocalWorkers_MapTcmalloc_UnlessGlibcIsChosen()
    {
        Assert.NotNull(WorkerAllocator.FindTcmalloc()); // scripts/prerequisites.sh installs it
        var connection = await postgres.CreateEmptyDatabaseAsync();
        var queue = $"alloc{Guid.NewGuid():N}"[..20];
        await using var workers = new WorkerProcesses();
        workers.Start(1, connection, queue, threadsPerWorker: 1);
        workers.Start(1, connection, queue, threadsPerWorker: 1, new Dictionary<string, string> { [WorkerAllocator.ChoiceVariable] = WorkerAllocator.Glibc });
        var (preloaded, plain) = (workers.ProcessIds[0], workers.ProcessIds[1]);
        Assert.Contains(WorkerAllocator.TcmallocLibrary, await MapsOnceRunningAsync(preloaded));
        Assert.DoesNotContain("libtcmalloc", await MapsOnceRunningAsync(plain));
    }

    /// <summary>The process's memory map once the .NET runtime is loaded (the process has left the fork and exec).</summary>
    private static async Task<string> MapsOnceRunningAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var maps = File.ReadAllText($"/proc/{pid}/maps");
            if (maps.Contains("libcoreclr.so", StringComparison.Ordinal)) return maps;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"process {pid} did not load the .NET runtime in 60 s");
            await Task.Delay(100);
        }
    }
}
