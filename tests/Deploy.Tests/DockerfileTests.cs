using System.Text.RegularExpressions;
using RnnSweep.Deploy.Tests.Support;

namespace RnnSweep.Deploy.Tests;

/// <summary>The Dockerfiles in deploy/, read as text (no Docker engine here to build them).</summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => new() { "Dockerfile.orchestrator", "Dockerfile.worker-cpu", "Dockerfile.worker-cuda" };

    private sealed record Stage(string Base, string? Name, List<(string Instruction, string Arguments)> Lines);

    private static List<Stage> Stages(string dockerfile)
    {
        var stages = new List<Stage>();
        var text = File.ReadAllText(Path.Combine(Repository.Deploy, dockerfile)).Replace("\\\n", " ");
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var match = InstructionPattern().Match(line);
            Assert.True(match.Success, $"{dockerfile}: not an instruction: {line}");
            var (instruction, arguments) = (match.Groups[1].Value.ToUpperInvariant(), match.Groups[2].Value.Trim());
            if (instruction == "FROM")
            {
                var from = FromPattern().Match(arguments);
                stages.Add(new Stage(from.Groups[1].Value, from.Groups[2].Success ? from.Groups[2].Value : null, []));
            }
            else if (instruction != "ARG" || stages.Count > 0)
            {
                Assert.True(stages.Count > 0, $"{dockerfile}: {instruction} before the first FROM");
                stages[^1].Lines.Add((instruction, arguments));
            }
        }
        return stages;
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Dockerfile_IsMultiStage_WithTheSdkOnlyInTheBuildStage(string dockerfile)
    {
        var stages = Stages(dockerfile);
        Assert.True(stages.Count >= 2, $"{dockerfile} has {stages.Count} stage(s)");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", stages[0].Base);
        var final = stages[^1];
        Assert.DoesNotContain("/sdk:", final.Base);
        Assert.Contains(final.Lines, l => l.Instruction == "COPY" && l.Arguments.StartsWith($"--from={stages[0].Name} ", StringComparison.Ordinal));
        Assert.Contains(final.Lines, l => l.Instruction == "ENTRYPOINT");
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Dockerfile_RunsAsANumericNonRootUser(string dockerfile)
    {
        var final = Stages(dockerfile)[^1];
        var user = final.Lines.LastOrDefault(l => l.Instruction == "USER").Arguments;
        Assert.False(string.IsNullOrEmpty(user), $"{dockerfile}: the final stage sets no USER, so it runs as root");
        var name = user.Split(':')[0];
        Assert.NotEqual("root", name);
        // Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
        Assert.True(int.TryParse(name, out var uid) && uid > 0, $"{dockerfile}: USER {user} is not a numeric non-root uid");
        // Nothing after USER switches back.
        var index = final.Lines.FindLastIndex(l => l.Instruction == "USER");
        Assert.DoesNotContain(final.Lines.Skip(index + 1), l => l.Instruction == "RUN");
    }

    [Theory, MemberData(nameof(Dockerfiles))]
    public void Dockerfile_HasAnIgnoreFile_KeepingBuildOutputAndTheLocalDatabaseOut(string dockerfile)
    {
        var ignore = Path.Combine(Repository.Deploy, dockerfile + ".dockerignore");
        Assert.True(File.Exists(ignore), $"missing {ignore}");
        var patterns = File.ReadAllLines(ignore).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Superset(new HashSet<string> { "**/bin", "**/obj", ".git", ".rnnsweep" }, patterns.ToHashSet());
    }

    [Fact]
    public void CudaWorker_BuildsTheCudaBackend_OnAnNvidiaCudaBase()
    {
        var stages = Stages("Dockerfile.worker-cuda");
        Assert.StartsWith("nvidia/cuda:", stages[^1].Base);
        var builds = stages[0].Lines.Where(l => l.Instruction == "RUN" && l.Arguments.Contains("dotnet ")).ToList();
        Assert.NotEmpty(builds);
        Assert.All(builds, l => Assert.Contains("-p:TorchBackend=cuda", l.Arguments));
        Assert.Contains(stages[^1].Lines, l => l.Instruction == "COPY" && l.Arguments.Contains("/usr/share/dotnet"));
    }

    [Fact]
    public void CpuWorker_RunsOnTheDotnetRuntimeImage_WithTheCpuBackend()
    {
        var stages = Stages("Dockerfile.worker-cpu");
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime:10.0", stages[^1].Base);
        Assert.Contains(stages[0].Lines, l => l.Instruction == "ARG" && l.Arguments == "TORCH_BACKEND=cpu");
    }

    [Theory]
    [InlineData("Dockerfile.worker-cpu")]
    [InlineData("Dockerfile.worker-cuda")]
    public void WorkerImage_SetsTheLaunchersAllocatorSettings(string dockerfile)
    {
        var env = Stages(dockerfile)[^1].Lines.Where(l => l.Instruction == "ENV").Select(l => l.Arguments).ToList();
        Assert.Contains(env, e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("MALLOC_ARENA_MAX=1"));
        Assert.Contains(env, e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("THP_MEM_ALLOC_ENABLE=1"));
        // tcmalloc, as the Workers rnnsweep starts get it (the Orchestrator's WorkerAllocator): installed in the final stage, preloaded by its path.
        var lines = Stages(dockerfile)[^1].Lines;
        Assert.Contains(lines, l => l.Instruction == "RUN" && l.Arguments.Contains("apt-get install", StringComparison.Ordinal) && l.Arguments.Contains("libtcmalloc-minimal4t64", StringComparison.Ordinal));
        Assert.Contains(env, e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"));
    }

    [Fact]
    public void Orchestrator_RunsOnTheAspNetImage()
    {
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", Stages("Dockerfile.orchestrator")[^1].Base);
    }

    [GeneratedRegex(@"^([A-Za-z]+)\s+(.*)$")]
    private static partial Regex InstructionPattern();

    [GeneratedRegex(@"^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();
}
