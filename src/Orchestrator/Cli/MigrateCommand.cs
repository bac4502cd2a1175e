using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep migrate</c>: apply the database migrations and exit (the compose and Kubernetes one-shot job).</summary>
public static class MigrateCommand
{
    public static Command Create()
    {
        var command = new Command("migrate", "Apply pending database migrations, then exit");
        command.SetAction(async (parse, ct) =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateSchemaAsync(ct);
            Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applied {pending.Count} migrations: {string.Join(", ", pending)}");
            return 0;
        });
        return command;
    }
}
