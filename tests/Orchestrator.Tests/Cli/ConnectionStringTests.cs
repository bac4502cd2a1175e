using Npgsql;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>RNNSWEEP_CONNECTION from the command line: a malformed one gets one line; the URL psql is shown connects back.
/// The parsing itself is tested in Shared.Tests (PostgresUrlTests).</summary>
[Collection(DatabaseCollection.Name)]
public sealed class ConnectionStringTests(PostgresFixture postgres)
{
    /// <summary>One malformed value of each form and a word its message must contain (every kind: PostgresUrlTests).</summary>
    [Theory]
    [InlineData("postgresql://u@db.example:notaport/d", "port 'notaport'")]
    [InlineData("Hots=db.example", "hots")]
    public async Task AMalformedOne_IsOneLineNamingTheVariable_FromTheCli(string given, string expected)
    {
        // The parser's own errors for these values are tested in Shared.Tests (PostgresUrlTests); here, the CLI's line.
        var (exit, stdout, stderr) = await CliRunner.RunAsync(given, "status");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: {DatabaseSettings.EnvironmentVariable}: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"\bat [\w.]+\(", stderr); // no stack trace
    }

    [Fact]
    public async Task ADatabaseWithoutTables_IsOneLineSayingHowToCreateThem()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(await postgres.CreateEmptyDatabaseAsync(), "status");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("rnnsweep migrate", Assert.Single(stderr.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePsqlUrlTheCliPrints_IsAcceptedBack()
    {
        var connection = await postgres.CreateEmptyDatabaseAsync();
        var url = PostgresUrl.ForPsql(connection);
        Assert.StartsWith("postgresql://", url, StringComparison.Ordinal);
        var password = new NpgsqlConnectionStringBuilder(connection).Password;
        if (password is not null) url = url.Replace("@", $":{Uri.EscapeDataString(password)}@", StringComparison.Ordinal);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(url, "migrate");
        Assert.True(exit == 0, stderr);
        (exit, stdout, stderr) = await CliRunner.RunAsync(url, "status");
        Assert.True(exit == 0, stderr);
        Assert.Contains("No sweeps yet", stdout, StringComparison.Ordinal);
    }
}
