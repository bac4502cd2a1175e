using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>The real Orchestrator web application on a free loopback port over a real database.</summary>
public sealed class OrchestratorHost : IAsyncDisposable
{
    private OrchestratorHost(WebApplication app, string connectionString)
    {
        App = app;
        ConnectionString = connectionString;
        Address = LocalServer.Address(app);
        Http = new HttpClient { BaseAddress = new Uri(Address), Timeout = TimeSpan.FromMinutes(2) };
    }

    public WebApplication App { get; }
    public string ConnectionString { get; }
    public string Address { get; }
    public HttpClient Http { get; }

    /// <summary>
    /// One Orchestrator built at a time in this process. why: Hangfire's <c>AddHangfire</c> hands each application
    /// <c>JobStorage.Current</c>, a process-wide static that the application's own configuration sets while it is
    /// built; two built at once (test classes run in parallel) could each get the other's storage.
    /// </summary>
    private static readonly SemaphoreSlim BuildOneAtATime = new(1);

    /// <param name="settings">Configuration overrides as <c>--Key:Sub=value</c> arguments.</param>
    public static async Task<OrchestratorHost> StartAsync(string connectionString, params string[] settings)
    {
        await BuildOneAtATime.WaitAsync();
        try
        {
            return new(await LocalServer.StartAsync(connectionString, "http://127.0.0.1:0", CancellationToken.None, settings), connectionString);
        }
        finally
        {
            BuildOneAtATime.Release();
        }
    }

    /// <summary>What an Orchestrator's start does to its database (Hangfire's schema, the EF Core migrations), without serving.</summary>
    public static async Task MigrateAsync(string connectionString)
    {
        await BuildOneAtATime.WaitAsync();
        try
        {
            await using var app = OrchestratorApp.Build([], connectionString, "http://127.0.0.1:0");
            await app.MigrateAsync();
        }
        finally
        {
            BuildOneAtATime.Release();
        }
    }

    public RnnSweepDbContext Db() => DatabaseSettings.CreateContext(ConnectionString);

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
