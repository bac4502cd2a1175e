using RnnSweep.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace RnnSweep.Deploy.Tests;

/// <summary>deploy/docker-compose.yml, validated and rendered by Docker Compose itself (<c>config</c>).</summary>
[Trait("Category", "Slow")]
public sealed class ComposeFileTests
{
    private const string TestPassword = "test-only-password";
    private static readonly string ComposeFile = Path.Combine(Repository.Deploy, "docker-compose.yml");

    private static YamlMappingNode Rendered()
    {
        var result = ComposeCli.Config(ComposeFile, new Dictionary<string, string?> { ["POSTGRES_PASSWORD"] = TestPassword });
        Assert.True(result.ExitCode == 0, $"compose config failed ({result.ExitCode}): {result.Stderr}{result.Stdout}");
        return Assert.Single(Yaml.LoadDocuments(result.Stdout));
    }

    [Fact]
    public void Config_RendersEveryService_WhenThePasswordIsSet()
    {
        var services = Rendered().Map("services").Keys().ToHashSet();
        Assert.Superset(new HashSet<string> { "postgres", "migrate", "orchestrator", "worker-cpu", "worker-gpu" }, services);
    }

    [Fact]
    public void Config_Fails_WhenNoPasswordIsSet()
    {
        var result = ComposeCli.Config(ComposeFile, new Dictionary<string, string?>());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("POSTGRES_PASSWORD", result.Stderr + result.Stdout);
    }

    [Fact]
    public void GpuWorker_ReservesOneNvidiaGpu_BehindTheGpuProfile()
    {
        var gpu = Rendered().Map("services", "worker-gpu");
        var device = Assert.Single(gpu.Seq("deploy", "resources", "reservations", "devices"));
        Assert.Equal("nvidia", device.Str("driver"));
        Assert.Equal("1", device.Str("count"));
        Assert.Contains("gpu", device.Seq("capabilities").Select(c => c.Str()));
        Assert.Contains("gpu", gpu.Seq("profiles").Select(p => p.Str()));
        Assert.Equal("cuda", gpu.Str("environment", "Worker__Device"));
        Assert.Equal("gpu", gpu.Str("environment", "Worker__Queues__0"));
        Assert.Equal("deploy/Dockerfile.worker-cuda", gpu.Str("build", "dockerfile"));
    }

    [Fact]
    public void CpuWorker_CanBeScaled_AndListensOnTheCpuQueue()
    {
        var cpu = Rendered().Map("services", "worker-cpu");
        // --scale needs neither a fixed container name nor a published host port.
        Assert.Null(cpu.Get("container_name"));
        Assert.Empty(cpu.Seq("ports"));
        Assert.Equal("cpu", cpu.Str("environment", "Worker__Device"));
        Assert.Equal("cpu", cpu.Str("environment", "Worker__Queues__0"));
        Assert.Empty(cpu.Seq("profiles"));
    }

    [Fact]
    public void EveryApplicationService_GetsTheConnectionFromTheEnvironment()
    {
        var services = Rendered().Map("services");
        foreach (var name in new[] { "migrate", "orchestrator", "worker-cpu", "worker-gpu" })
        {
            var connection = services.Str(name, "environment", "RNNSWEEP_CONNECTION");
            Assert.True(connection?.Contains($"Password={TestPassword}") == true, $"{name}: RNNSWEEP_CONNECTION is '{connection}'");
        }
        // ...and the file itself holds no password: every one is a ${VARIABLE...} reference.
        var text = File.ReadAllText(ComposeFile);
        var lines = text.Split('\n').Where(l => l.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) && !l.TrimStart().StartsWith('#')).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.Matches(@"(?i)password(:|=)\s*\$\{[A-Z_]+(:\?|:-)", line);
        }
        Assert.Matches(@"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", text);
    }

    [Fact]
    public void Orchestrator_AndWorkers_WaitForTheMigrationToComplete()
    {
        var services = Rendered().Map("services");
        Assert.Equal("service_healthy", services.Str("migrate", "depends_on", "postgres", "condition"));
        Assert.Equal("migrate", services.Seq("migrate", "command").Select(c => c.Str()).FirstOrDefault());
        foreach (var name in new[] { "orchestrator", "worker-cpu", "worker-gpu" })
        {
            Assert.Equal("service_completed_successfully", services.Str(name, "depends_on", "migrate", "condition"));
        }
        Assert.NotNull(services.Path("postgres", "healthcheck", "test"));
        Assert.Contains(services.Seq("postgres", "volumes").Select(v => v.Str() ?? v.Str("source")),
            v => v?.StartsWith("pgdata", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Orchestrator_IsPublishedOnTheHostLoopbackOnly()
    {
        var ports = Rendered().Seq("services", "orchestrator", "ports").Select(p => p.Str() ?? p.Str("host_ip")).ToList();
        Assert.NotEmpty(ports);
        Assert.All(ports, p => Assert.StartsWith("127.0.0.1", p));
    }
}
