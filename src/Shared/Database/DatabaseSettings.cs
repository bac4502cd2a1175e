using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Shared.Database;

/// <summary>Where the connection string comes from, one rule for every process.</summary>
public static class DatabaseSettings
{
    /// <summary>Environment variable naming the PostgreSQL connection string; it wins over configuration.</summary>
    public const string EnvironmentVariable = "RNNSWEEP_CONNECTION";
    /// <summary>Configuration key (<c>ConnectionStrings:RnnSweep</c> in appsettings.json).</summary>
    public const string ConnectionStringName = "RnnSweep";
    /// <summary>Hangfire's tables live in their own schema, apart from the results.</summary>
    public const string HangfireSchema = "hangfire";

    /// <summary>The environment variable as an Npgsql connection string (it may be given as a postgresql:// URL).</summary>
    /// <exception cref="Domain.ValidationException">It is set but malformed.</exception>
    public static string? FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } cs ? PostgresUrl.ToConnectionString(cs, EnvironmentVariable) : null;

    /// <summary>
    /// The environment variable, else <c>ConnectionStrings:RnnSweep</c> in configuration; null when neither is set.
    /// Either may be Npgsql's key-value form or libpq's <c>postgresql://</c> URL.
    /// </summary>
    /// <exception cref="Domain.ValidationException">The one that applies is malformed.</exception>
    public static string? Resolve(IConfiguration configuration) =>
        FromEnvironment() ?? (configuration.GetConnectionString(ConnectionStringName) is { Length: > 0 } cs
            ? PostgresUrl.ToConnectionString(cs, $"ConnectionStrings:{ConnectionStringName}") : null);

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql
            .MigrationsAssembly(RnnSweepDbContext.MigrationsAssembly)
            // Survives a database restart mid-sweep: transient errors are retried, not reported as run failures.
            .EnableRetryOnFailure(maxRetryCount: 10, maxRetryDelay: TimeSpan.FromSeconds(5), errorCodesToAdd: null));

    public static RnnSweepDbContext CreateContext(string connectionString)
    {
        var builder = new DbContextOptionsBuilder<RnnSweepDbContext>();
        Configure(builder, connectionString);
        return new RnnSweepDbContext(builder.Options);
    }

    /// <summary>The same connection string with a different application name, so pg_stat_activity says who is who.</summary>
    public static string WithApplicationName(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;
}
