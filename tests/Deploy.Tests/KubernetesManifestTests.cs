using RnnSweep.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace RnnSweep.Deploy.Tests;

/// <summary>Every manifest in deploy/k8s, parsed as YAML and checked for what a cluster run depends on.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Folder = Path.Combine(Repository.Deploy, "k8s");

    private sealed record Manifest(string File, YamlMappingNode Node)
    {
        public string Kind => Node.Str("kind") ?? "";
        public string Name => Node.Str("metadata", "name") ?? "";
        public YamlNode? PodSpec => Node.Path("spec", "template", "spec");
        public IEnumerable<YamlNode> Containers => PodSpec.Seq("containers");
        public bool IsWorker => Kind == "Deployment" && Node.Str("metadata", "labels", "app.kubernetes.io/component") == "worker";
        public override string ToString() => $"{Path.GetFileName(File)}: {Kind} {Name}";
    }

    private static List<Manifest> Manifests() => Directory.GetFiles(Folder, "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .SelectMany(f => Yaml.LoadDocuments(File.ReadAllText(f)).Select(n => new Manifest(f, n)))
        .ToList();

    private static List<Manifest> Workloads() => Manifests().Where(m => m.Kind is "Deployment" or "Job").ToList();

    private static string? Env(YamlNode container, string name) =>
        container.Seq("env").FirstOrDefault(e => e.Str("name") == name) is { } e ? e.Str("value") : null;

    [Fact]
    public void EveryManifest_HasAKindAndAName_InTheRnnSweepNamespace()
    {
        var manifests = Manifests();
        Assert.NotEmpty(manifests);
        Assert.All(manifests, m =>
        {
            Assert.False(string.IsNullOrEmpty(m.Node.Str("apiVersion")), $"{m}: no apiVersion");
            Assert.False(string.IsNullOrEmpty(m.Kind), $"{m}: no kind");
            Assert.False(string.IsNullOrEmpty(m.Name), $"{m}: no name");
            if (m.Kind != "Namespace") Assert.True(m.Node.Str("metadata", "namespace") == "rnnsweep", $"{m}: not in namespace rnnsweep");
        });
    }

    [Fact]
    public void Workloads_AreTheOrchestratorTheMigrationAndCpuAndGpuWorkers()
    {
        var workloads = Workloads().Select(w => (w.Kind, w.Name)).ToHashSet();
        Assert.Superset(new HashSet<(string, string)> { ("Deployment", "rnnsweep-orchestrator"), ("Job", "rnnsweep-migrate"), ("Deployment", "rnnsweep-worker-cpu"),
            ("Deployment", "rnnsweep-worker-gpu") }, workloads);
        Assert.Contains(Manifests(), m => m.Kind == "Service" && m.Name == "rnnsweep-orchestrator");
    }

    [Fact]
    public void EveryContainer_RunsAsNonRoot_WithoutPrivilegeEscalation()
    {
        Assert.All(Workloads(), w =>
        {
            Assert.NotEmpty(w.Containers);
            foreach (var c in w.Containers)
            {
                bool? Setting(string key, params string[] path) => (c.Str(["securityContext", .. path, key]) ?? w.PodSpec.Str(["securityContext", .. path, key])) is { } v ? v == "true" : null;
                var user = c.Str("securityContext", "runAsUser") ?? w.PodSpec.Str("securityContext", "runAsUser");
                Assert.True(Setting("runAsNonRoot") == true, $"{w} container {c.Str("name")}: runAsNonRoot is not true");
                Assert.True(user is null || (int.TryParse(user, out var uid) && uid > 0), $"{w}: runAsUser {user}");
                Assert.True(c.Str("securityContext", "allowPrivilegeEscalation") == "false", $"{w}: allowPrivilegeEscalation is not false");
                Assert.Contains("ALL", c.Seq("securityContext", "capabilities", "drop").Select(d => d.Str()));
            }
        });
    }

    [Fact]
    public void EveryDeploymentContainer_HasLivenessAndReadinessProbes()
    {
        Assert.All(Workloads().Where(w => w.Kind == "Deployment"), w =>
        {
            foreach (var c in w.Containers)
            {
                Assert.True(c.Get("livenessProbe") is YamlMappingNode, $"{w}: no livenessProbe");
                Assert.True(c.Get("readinessProbe") is YamlMappingNode, $"{w}: no readinessProbe");
            }
        });
    }

    [Fact]
    public void Orchestrator_ProbesHealthzAndReadyz()
    {
        var container = Assert.Single(Workloads().Single(w => w.Name == "rnnsweep-orchestrator").Containers);
        Assert.Equal("/healthz", container.Str("livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", container.Str("readinessProbe", "httpGet", "path"));
        // Host filtering answers 400 to a Host it does not allow, probes included: each probe names an allowed one.
        var allowed = container.Seq("env").Single(e => e.Str("name") == "AllowedHosts").Str("value")!.Split(';');
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            var host = container.Seq(probe, "httpGet", "httpHeaders").Single(h => h.Str("name") == "Host").Str("value")!;
            Assert.Contains(host, allowed);
        }
        // Listening beyond loopback is needed for the probes and the Service.
        Assert.Contains("http://0.0.0.0:5080", container.Seq("args").Select(a => a.Str()));
    }

    [Fact]
    public void Workers_ProbeTheHeartbeatWithTheHealthMode()
    {
        var workers = Workloads().Where(w => w.IsWorker).ToList();
        Assert.True(workers.Count >= 2, "expected a CPU and a GPU worker Deployment");
        Assert.All(workers.SelectMany(w => w.Containers), c =>
        {
            Assert.Equal(["dotnet", "/app/RnnSweep.Worker.dll", "--health", "live"], c.Seq("livenessProbe", "exec", "command").Select(x => x.Str()));
            Assert.Equal(["dotnet", "/app/RnnSweep.Worker.dll", "--health", "ready"], c.Seq("readinessProbe", "exec", "command").Select(x => x.Str()));
        });
    }

    [Fact]
    public void EveryWorkload_ReadsTheConnectionFromASecret()
    {
        Assert.All(Workloads(), w =>
        {
            foreach (var c in w.Containers)
            {
                var env = c.Seq("env").FirstOrDefault(e => e.Str("name") == "RNNSWEEP_CONNECTION");
                Assert.True(env is not null, $"{w}: no RNNSWEEP_CONNECTION");
                Assert.Null(env.Str("value"));
                Assert.Equal("rnnsweep-db", env.Str("valueFrom", "secretKeyRef", "name"));
                Assert.Equal("connection", env.Str("valueFrom", "secretKeyRef", "key"));
            }
        });
    }

    [Fact]
    public void GpuWorkers_RequestOneNvidiaGpu_AndTrainOnCuda_FromTheGpuQueue()
    {
        var gpuWorkers = Workloads().Where(w => w.IsWorker && w.Containers.Any(c => Env(c, "Worker__Device")?.StartsWith("cuda") == true)).ToList();
        Assert.NotEmpty(gpuWorkers);
        Assert.All(gpuWorkers, w =>
        {
            var c = Assert.Single(w.Containers);
            Assert.Equal("1", c.Str("resources", "limits", "nvidia.com/gpu"));
            Assert.Equal("1", c.Str("resources", "requests", "nvidia.com/gpu"));
            Assert.Equal("gpu", Env(c, "Worker__Queues__0"));
            Assert.Equal("cuda", Env(c, "Worker__Device"));
            Assert.StartsWith("rnnsweep-worker-cuda", c.Str("image"));
        });
    }

    /// <summary>
    /// A Worker trains run after run: glibc's default arenas let its memory grow with each (docs/benchmarks.md,
    /// "7 memory"); libtorch's huge pages spare the training loop a page fault per fresh 4 KB ("Huge pages").
    /// </summary>
    [Fact]
    public void EveryWorker_SetsTheAllocatorSettings_AsTheLauncherDoes()
    {
        var workers = Workloads().Where(w => w.IsWorker).ToList();
        Assert.True(workers.Count >= 2, "expected a CPU and a GPU worker Deployment");
        Assert.All(workers.SelectMany(w => w.Containers), c => Assert.Equal("1", Env(c, "MALLOC_ARENA_MAX")));
        Assert.All(workers.SelectMany(w => w.Containers), c => Assert.Equal("1", Env(c, "THP_MEM_ALLOC_ENABLE")));
        var launcher = File.ReadAllText(Repository.PathOf("rnnsweep"));
        Assert.Contains("export MALLOC_ARENA_MAX=\"${MALLOC_ARENA_MAX:-1}\"", launcher);
        Assert.Contains("export THP_MEM_ALLOC_ENABLE=\"${THP_MEM_ALLOC_ENABLE:-1}\"", launcher);
    }

    [Fact]
    public void CpuWorkers_RequestNoGpu()
    {
        var cpuWorkers = Workloads().Where(w => w.IsWorker && w.Containers.All(c => Env(c, "Worker__Device") == "cpu")).ToList();
        Assert.NotEmpty(cpuWorkers);
        Assert.All(cpuWorkers.SelectMany(w => w.Containers), c =>
        {
            Assert.Null(c.Str("resources", "limits", "nvidia.com/gpu"));
            Assert.Equal("cpu", Env(c, "Worker__Queues__0"));
        });
    }

    [Fact]
    public void TheOnlySecret_IsTheExample_HoldingPlaceholders()
    {
        var secrets = Manifests().Where(m => m.Kind == "Secret").ToList();
        var secret = Assert.Single(secrets);
        Assert.Equal("secret.example.yaml", Path.GetFileName(secret.File));
        Assert.Equal("rnnsweep-db", secret.Name);
        Assert.Contains("REPLACE_ME", secret.Node.Str("stringData", "connection"));
    }

    [Fact]
    public void Kustomization_ListsEveryManifestButTheSecretExample()
    {
        var kustomization = Assert.Single(Yaml.LoadDocuments(File.ReadAllText(Path.Combine(Folder, "kustomization.yaml"))));
        var listed = kustomization.Seq("resources").Select(r => r.Str()).ToHashSet();
        var expected = Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not ("kustomization.yaml" or "secret.example.yaml")).ToHashSet();
        Assert.Equal(expected, listed);
    }
}
