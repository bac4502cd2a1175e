using Npgsql;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Database;

/// <summary>
/// RNNSWEEP_CONNECTION's two forms (Npgsql's key-value and libpq's postgresql:// URL) give the same settings, and a
/// malformed one is a <see cref="ValidationException"/> naming the variable. The command line's one-line error for
/// the same values is tested beside the CLI (Orchestrator.Tests, ConnectionStringTests).
/// </summary>
public sealed class PostgresUrlTests
{
    /// <summary>Each URL (or key-value string) and the settings it must give: host, port, database, user, password, extra.</summary>
    public static TheoryData<string, string, int, string?, string?, string?, string?> Valid => new()
    {
        { "postgresql://rnnsweep@127.0.0.1:44013/rnnsweep", "127.0.0.1", 44013, "rnnsweep", "rnnsweep", null, null },
        { "postgres://alice:s3cret@db.example/results", "db.example", 5432, "results", "alice", "s3cret", null },
        { "postgresql://al%40ice:p%3Aw%2Fd%25@db.example:6543/my%20db", "db.example", 6543, "my db", "al@ice", "p:w/d%", null },
        { "postgresql://u@[::1]:5433/d", "::1", 5433, "d", "u", null, null },
        { "postgresql://u@h1:5432,h2:5433/d", "h1:5432,h2:5433", 5432, "d", "u", null, null },
        { "postgresql://u@db.example/d?sslmode=verify-full&application_name=cli&connect_timeout=7", "db.example", 5432, "d", "u", null, "SSL Mode=VerifyFull;Application Name=cli;Timeout=7" },
        { "postgresql://db.example?dbname=d&user=u&port=6000", "db.example", 6000, "d", "u", null, null },
        { "  POSTGRESQL://u@db.example/d  ", "db.example", 5432, "d", "u", null, null },
        { "Host=db.example;Port=6000;Database=d;Username=u;Password=p", "db.example", 6000, "d", "u", "p", null },
        { "host=db.example;database=d;user id=u", "db.example", 5432, "d", "u", null, null },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void BothForms_GiveTheSameSettings(string given, string host, int port, string? database, string? user, string? password, string? extra)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(given, DatabaseSettings.EnvironmentVariable));
        Assert.Equal((host, port, database, user, password), (b.Host, b.Port, b.Database, b.Username, b.Password));
        foreach (var pair in (extra ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            Assert.Equal(value, b[key].ToString());
        }
    }

    /// <summary>Each malformed value and a word its message must contain.</summary>
    [Theory]
    [InlineData("postgresql://u@db.example:notaport/d", "port 'notaport'")]
    [InlineData("postgresql://u@db.example:70000/d", "port '70000'")]
    [InlineData("postgresql:///d", "no host")]
    [InlineData("postgresql://u@db.example/d?colour=blue", "unknown parameter 'colour'")]
    [InlineData("postgresql://u@db.example/d?sslmode", "has no value")]
    [InlineData("postgresql://u@[::1/d", "IPv6")]
    [InlineData("postgresql://u@db.example/d?sslmode=sometimes", "sometimes")]
    [InlineData("Host=db.example;Port=abc", "Port")]
    [InlineData("Hots=db.example", "hots")]
    [InlineData("just some words", "connection string")]
    public void AMalformedOne_IsOneErrorNamingTheSource(string given, string expected)
    {
        var e = Assert.Throws<ValidationException>(() => PostgresUrl.ToConnectionString(given, DatabaseSettings.EnvironmentVariable));
        Assert.Equal(DatabaseSettings.EnvironmentVariable, Assert.Single(e.Errors).Field);
        Assert.Contains(expected, e.Errors[0].Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ForPsql_GivesAUrlThatReadsBackToTheSameSettings_WithoutThePassword()
    {
        const string connection = "Host=db.example;Port=6543;Database=my db;Username=al@ice;Password=secret";
        var url = PostgresUrl.ForPsql(connection);
        Assert.StartsWith("postgresql://", url, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", url, StringComparison.Ordinal);
        var b = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(url, "test"));
        Assert.Equal(("db.example", 6543, "my db", "al@ice"), (b.Host, b.Port, b.Database, b.Username));
    }
}
