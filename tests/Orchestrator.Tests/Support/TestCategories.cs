namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// The <c>Category</c> traits that <c>./rnnsweep test --fast</c> leaves out (scripts/test.sh turns the flag into
/// <c>--filter "Category!=WorkerProcess&amp;Category!=Browser&amp;Category!=Slow"</c>): tests that start a Worker
/// process, tests that drive Chromium, and the slowest of the rest (training for many epochs, ten thousand runs,
/// external tools such as docker-compose and MSBuild), which are spelled as literals in all three test projects.
/// What stays (PostgreSQL, the Orchestrator in-process, TorchSharp on tiny models) is the inner loop.
/// </summary>
public static class TestCategories
{
    public const string WorkerProcess = "WorkerProcess";
    public const string Browser = "Browser";
    public const string Slow = "Slow";

    /// <summary>Set by <c>--fast</c>; a test that starts a Worker or a browser while it is set lacks its trait.</summary>
    public const string FastVariable = "RNNSWEEP_FAST_TESTS";

    /// <summary>Fails the test, naming the missing trait, when it starts <paramref name="what"/> in a fast run.</summary>
    public static void RequireOutsideFastRun(string category, string what)
    {
        if (Environment.GetEnvironmentVariable(FastVariable) == "1")
        {
            throw new Xunit.Sdk.XunitException(
                $"This test starts {what} but ran in the fast subset: mark it [Trait(\"Category\", \"{category}\")] " +
                "so that ./rnnsweep test --fast leaves it out.");
        }
    }
}
