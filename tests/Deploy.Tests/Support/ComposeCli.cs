using System.Diagnostics;

namespace RnnSweep.Deploy.Tests.Support;

/// <summary>
/// Runs Docker Compose's <c>config</c> (validation and rendering only: no Docker engine is needed). Uses
/// <c>docker-compose</c> (Debian package docker-compose) or, failing that, the <c>docker compose</c> plugin.
/// </summary>
public static class ComposeCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Config(string composeFile, IReadOnlyDictionary<string, string?> environment)
    {
        var (file, prefix) = Locate();
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "-f", composeFile, "config" }) psi.ArgumentList.Add(a);
        // Only the variables the test means: an exported POSTGRES_PASSWORD on the machine must not hide a missing one.
        foreach (var name in new[] { "POSTGRES_PASSWORD", "RNNSWEEP_DATA_DIR", "WORKER_TORCH_THREADS", "COMPOSE_PROFILES" }) psi.Environment.Remove(name);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} config did not finish within 60 s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static (string File, string[] Prefix) Locate()
    {
        if (OnPath("docker-compose") is { } v1) return (v1, []);
        if (OnPath("docker") is { } docker && Succeeds(docker, "compose", "version")) return (docker, ["compose"]);
        throw new Xunit.Sdk.XunitException(
            "Neither 'docker-compose' nor 'docker compose' is available, so deploy/docker-compose.yml cannot be validated. " +
            "Install Debian's package: apt-get install -y docker-compose (scripts/prerequisites.sh does this for the tests).");
    }

    private static string? OnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => System.IO.Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static bool Succeeds(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            return p.WaitForExit(TimeSpan.FromSeconds(20)) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
