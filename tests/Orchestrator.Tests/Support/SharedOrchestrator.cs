namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// One Orchestrator over a fresh database for a whole test class (<c>IClassFixture</c>), for tests that need no
/// database of their own: requests that store nothing, or rows under names of their own. Starting an Orchestrator
/// takes far longer than such a test. Tests that count rows, restart things or change settings start their own.
/// </summary>
public class SharedOrchestrator : IAsyncLifetime
{
    private readonly PostgresFixture _postgres = new(); // a handle on the one server
    private readonly string[] _settings;

    public SharedOrchestrator() : this([]) { }

    /// <param name="settings">Configuration overrides as <c>--Key:Sub=value</c> arguments.</param>
    protected SharedOrchestrator(params string[] settings) => _settings = settings;

    public OrchestratorHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        Host = await OrchestratorHost.StartAsync(await _postgres.CreateDatabaseAsync(), _settings);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
