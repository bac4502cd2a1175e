using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RnnSweep.Orchestrator.Cli;
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

    /// <param name="settings">Configuration overrides as <c>--Key:Sub=value</c> arguments.</param>
    public static async Task<OrchestratorHost> StartAsync(string connectionString, params string[] settings) =>
        new(await LocalServer.StartAsync(connectionString, "http://127.0.0.1:0", CancellationToken.None, settings), connectionString);

    public RnnSweepDbContext Db() => DatabaseSettings.CreateContext(ConnectionString);

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
