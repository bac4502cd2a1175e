using System.Reflection;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Build;

/// <summary>The Orchestrator stays light: it never references or ships TorchSharp or libtorch.</summary>
public sealed class OrchestratorBuildTests
{
    [Fact]
    public void BuildOutput_HasNoTorchFiles()
    {
        var dir = TestPaths.OrchestratorOutput;
        Assert.True(File.Exists(Path.Combine(dir, "RnnSweep.Orchestrator.dll")), $"the Orchestrator is not built in {dir}");
        var torchFiles = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Empty(torchFiles);
    }

    [Fact]
    public void OrchestratorAssembly_ReferencesNoTorchSharp()
    {
        var references = typeof(Program).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("RnnSweep.Shared", references);
        Assert.DoesNotContain(references, n => n!.Contains("Torch", StringComparison.OrdinalIgnoreCase));
        var deps = File.ReadAllText(Path.Combine(TestPaths.OrchestratorOutput, "RnnSweep.Orchestrator.deps.json"));
        Assert.DoesNotContain("libtorch", deps, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("TorchSharp", deps, StringComparison.OrdinalIgnoreCase);
    }
}
