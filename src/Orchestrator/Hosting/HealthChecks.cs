using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// <c>/healthz</c> (liveness: the process answers) and <c>/readyz</c> (readiness: PostgreSQL answers and every
/// migration is applied), for Kubernetes probes and load balancers.
/// </summary>
public static class HealthChecks
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddOrchestratorHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", HealthStatus.Unhealthy, [ReadyTag], TimeSpan.FromSeconds(5));
        return services;
    }

    /// <summary>
    /// Serves both paths. Call it before <c>UseMiddleware&lt;AccessControl&gt;()</c>: these are branches of the
    /// middleware pipeline, not routed endpoints, because probes come from the node (kubelet) without credentials,
    /// and a routed endpoint would only run after access control has refused them. They reveal no data.
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.UseHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.UseHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description }),
        }, Shared.Json.JsonContract.Options));
    }
}

/// <summary>
/// Ready when PostgreSQL answers and holds every migration this build knows. Plain Npgsql with a short timeout,
/// not the DbContext's retrying execution strategy: a probe must answer within seconds, not retry for a minute.
/// </summary>
public sealed class DatabaseReadyCheck(RnnSweepDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Timeout = 3, CommandTimeout = 3 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                "select \"MigrationId\" from \"__EFMigrationsHistory\"", connection);
            var applied = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // no migration has ever run on this database
            }
            var pending = db.Database.GetMigrations().Where(m => !applied.Contains(m)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"{applied.Count} migrations applied")
                : HealthCheckResult.Unhealthy($"{pending.Count} migrations pending (first: {pending[0]}); run 'rnnsweep migrate'");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"database unreachable: {e.Message}");
        }
    }
}
