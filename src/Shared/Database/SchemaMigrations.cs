using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace RnnSweep.Shared.Database;

/// <summary>Applying the schema's migrations, one way for every command that does it.</summary>
public static class SchemaMigrations
{
    /// <summary>
    /// Applies the pending migrations with no command timeout. Why: a migration that rewrites stored data (moving a
    /// database's corpora into chunks) takes as long as that data needs; with the default 30 s timeout it was cut
    /// off and retried ten times over by the retrying strategy, and an install holding a large corpus could not be
    /// upgraded at all. Ctrl+C (<paramref name="ct"/>) still stops it, and each migration's transaction rolls back.
    /// Safe with several processes at once: EF Core takes a lock for the migration.
    /// </summary>
    public static async Task MigrateSchemaAsync(this DatabaseFacade database, CancellationToken ct = default)
    {
        var timeout = database.GetCommandTimeout();
        database.SetCommandTimeout(0);                    // Npgsql: 0 is no limit
        try { await database.MigrateAsync(ct); }
        finally { database.SetCommandTimeout(timeout); }
    }
}
