using System.Diagnostics;

namespace RnnSweep.Deploy.Tests.Support;

/// <summary>Runs <c>scripts/check-docs.sh</c> of the repository under test against a folder (the repository itself or a fixture).</summary>
public static class CheckDocs
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n{Stdout}{Stderr}";
    }

    public static Result Run(string root)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Repository.PathOf("scripts", "check-docs.sh"));
        psi.ArgumentList.Add(root);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: a few seconds when idle, much more on a machine shared by several builds.
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/check-docs.sh did not finish within 3 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
