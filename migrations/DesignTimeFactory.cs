using Microsoft.EntityFrameworkCore.Design;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Migrations;

/// <summary>
/// Lets <c>dotnet ef migrations add X --project migrations</c> build the model without a running app.
/// Adding a migration needs no server; the placeholder connection string is never opened.
/// </summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<RnnSweepDbContext>
{
    public RnnSweepDbContext CreateDbContext(string[] args) =>
        DatabaseSettings.CreateContext(DatabaseSettings.FromEnvironment() ?? "Host=127.0.0.1;Database=rnnsweep;Username=rnnsweep");
}
