using System.Diagnostics;
using RnnSweep.Deploy.Tests.Support;

namespace RnnSweep.Deploy.Tests;

/// <summary>The Worker's TorchBackend switch, checked by MSBuild evaluation (no restore, nothing written to obj/).</summary>
[Trait("Category", "Slow")]
public sealed class WorkerBuildTests
{
    private static readonly string WorkerProject = Repository.PathOf("src", "Worker", "Worker.csproj");

    private static (int ExitCode, string Output) MSBuild(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["msbuild", WorkerProject, "-nologo", .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void DefaultBackend_IsCpu_WithTheCpuLibtorch()
    {
        var (code, output) = MSBuild("-getProperty:TorchBackend", "-getItem:PackageReference");
        Assert.True(code == 0, output);
        Assert.Contains("\"TorchBackend\": \"cpu\"", output);
        Assert.Contains("libtorch-cpu-linux-x64", output);
        Assert.DoesNotContain("TorchSharp-cuda-linux", output);
    }

    [Fact]
    public void CudaBackend_SwapsTheCpuLibtorchForTorchSharpCudaLinux()
    {
        var (code, output) = MSBuild("-p:TorchBackend=cuda", "-getItem:PackageReference");
        Assert.True(code == 0, output);
        Assert.Contains("TorchSharp-cuda-linux", output);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", output);
    }

    [Fact]
    public void UnknownBackend_FailsTheBuild_NamingTheAllowedValues()
    {
        var (code, output) = MSBuild("-t:CheckTorchBackend", "-p:TorchBackend=rocm");
        Assert.NotEqual(0, code);
        Assert.Contains("RNNSWEEP001", output);
        Assert.Contains("TorchBackend must be 'cpu' (the default) or 'cuda', not 'rocm'", output);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cuda")]
    public void TheElfFix_StaysImported_ForEveryBackend(string backend)
    {
        // The preprocessed project (every import inlined) must carry the patch targets.
        var preprocessed = Path.Combine(Path.GetTempPath(), $"rnnsweep-worker-{backend}-{Guid.NewGuid():N}.xml");
        try
        {
            var (code, output) = MSBuild($"-p:TorchBackend={backend}", $"-pp:{preprocessed}");
            Assert.True(code == 0, output);
            var text = File.ReadAllText(preprocessed);
            Assert.Contains("<Target Name=\"TorchSharpElfFixOutput\"", text);
            Assert.Contains("<Target Name=\"TorchSharpElfFixPublish\"", text);
        }
        finally
        {
            File.Delete(preprocessed);
        }
    }
}
