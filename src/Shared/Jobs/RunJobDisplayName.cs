using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using Npgsql;

namespace RnnSweep.Shared.Jobs;

/// <summary>What a job's first argument identifies.</summary>
public enum JobSubject
{
    /// <summary>A run id: the name is the run's cell and sweep, "lstm 2x128 - sweep paper-wp".</summary>
    Run,
    /// <summary>A sample id: named by the run it samples.</summary>
    Sample,
    /// <summary>A sweep id: "n-gram baseline - sweep paper-wp".</summary>
    Sweep,
}

/// <summary>
/// Names a job in the Hangfire dashboard by its grid cell and sweep instead of "ITrainRunJob.TrainAsync". Jobs take
/// only ids, so the names are looked up in the results tables (once per id: a cell's model, layers, hidden size and
/// its sweep's name never change) through the database registered for the dashboard's storage with
/// <see cref="UseDatabase"/>; without one, or when the row is gone, the name falls back to the id.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RunJobDisplayNameAttribute(JobSubject subject = JobSubject.Run, string? action = null)
    : JobDisplayNameAttribute(action ?? "train")
{
    private const int MaxCached = 50_000;
    private static readonly ConditionalWeakTable<JobStorage, NameSource> Sources = new();

    public JobSubject Subject { get; } = subject;
    public string? Action { get; } = action;

    /// <summary>Lets dashboards over <paramref name="storage"/> read names from the results database.</summary>
    public static void UseDatabase(JobStorage storage, string connectionString) => Sources.AddOrUpdate(storage, new NameSource(connectionString));

    public override string Format(DashboardContext context, Job job) => Name(context.Storage, job);

    public string Name(JobStorage storage, Job job)
    {
        var id = job.Args.Count > 0 ? Convert.ToInt64(job.Args[0], System.Globalization.CultureInfo.InvariantCulture) : 0;
        var prefix = Action is null ? "" : Action + " ";
        var found = Sources.TryGetValue(storage, out var source) ? source.Lookup(Subject, id) : null;
        return found is null
            ? $"{prefix}{Subject.ToString().ToLowerInvariant()} {id}".TrimStart()
            : Subject == JobSubject.Sample ? $"{prefix}{id}: {found}" : $"{prefix}{found}";
    }

    private sealed class NameSource(string connectionString)
    {
        private readonly ConcurrentDictionary<(JobSubject, long), string> _cache = new();

        public string? Lookup(JobSubject subject, long id)
        {
            if (_cache.TryGetValue((subject, id), out var cached)) return cached;
            var sql = subject switch
            {
                JobSubject.Run => "select r.model || ' ' || r.layers || 'x' || r.hidden || ' - sweep ' || s.name from runs r join sweeps s on s.id = r.sweep_id where r.id = @id",
                JobSubject.Sample => "select r.model || ' ' || r.layers || 'x' || r.hidden || ' - sweep ' || s.name from samples x join runs r on r.id = x.run_id join sweeps s on s.id = r.sweep_id where x.id = @id",
                _ => "select '- sweep ' || name from sweeps where id = @id",
            };
            try
            {
                using var connection = new NpgsqlConnection(connectionString);
                connection.Open();
                using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.AddWithValue("id", id);
                if (command.ExecuteScalar() is not string name) return null;
                if (_cache.Count >= MaxCached) _cache.Clear();
                _cache[(subject, id)] = name;
                return name;
            }
            catch (NpgsqlException)
            {
                return null; // a dashboard page must render even when the results database is unreachable
            }
        }
    }
}
