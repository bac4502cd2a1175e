using Hangfire;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Logging;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;
using Serilog;

namespace RnnSweep.Orchestrator.Hosting;

/// <summary>The Orchestrator's web application: HTTP API, results dashboard, Hangfire dashboard and client.</summary>
public static class OrchestratorApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    /// <summary>ASP.NET Core's host filtering key: the Host names requests may carry, separated by ';'.</summary>
    public const string AllowedHostsKey = "AllowedHosts";
    public const string DefaultAllowedHosts = "localhost;127.0.0.1;[::1]";

    public static WebApplication Build(string[] args, string connectionString, string? url = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // A taken port is said in one line by the command that chose the address (serve, sweep); the host's log of
        // the same failure is its 25-line stack trace.
        builder.Services.AddSerilog((_, config) => Logging.Configure(config, "orchestrator")
            .Filter.ByExcluding(e => e.Exception is IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException }));
        builder.WebHost.UseUrls(url ?? builder.Configuration["urls"] ?? DefaultUrl);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1L << 30);
        builder.Services.AddOrchestrator(builder.Configuration, connectionString);
        // Host filtering (DNS rebinding): ASP.NET Core's own middleware, first in the pipeline as it places itself; every
        // request, probes included, must name an allowed host (Kubernetes probes send Host: localhost).
        if (string.IsNullOrWhiteSpace(builder.Configuration[AllowedHostsKey])) builder.Configuration[AllowedHostsKey] = DefaultAllowedHosts;
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();

        var app = builder.Build();
        app.UseSerilogRequestLogging(o => o.GetLevel = (http, _, ex) =>
            ex is not null || http.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Debug);
        app.UseExceptionHandler();                                                          // DatabaseUnavailable: 503, not 500
        app.UseForwardedHeaders();
        app.MapHealthEndpoints(); // before access control: probes come from the cluster, not from loopback
        app.UseMiddleware<SameOriginWrites>();
        app.UseMiddleware<AccessControl>();
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "RnnSweep jobs",
            AppPath = "/",
            Authorization = [new HangfireAccess()],
            IsReadOnlyFunc = HangfireAccess.IsReadOnly,
        });
        app.MapSweepApi();
        app.MapRunApi();
        app.MapModelExportApi();
        app.MapCorpusApi();
        app.MapAnalysisApi();
        app.MapDashboardPages();
        app.MapLiveApi();
        app.MapOpenApi();
        RunJobDisplayNameAttribute.UseDatabase(app.Services.GetRequiredService<JobStorage>(), connectionString);
        return app;
    }

    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var appConnection = DatabaseSettings.WithApplicationName(connectionString, "rnnsweep-orchestrator");
        services.AddDbContext<RnnSweepDbContext>(o => DatabaseSettings.Configure(o, appConnection));
        services.AddHangfire(c => c.UseRnnSweepStorage(connectionString));
        services.AddOptions<CorpusOptions>().BindConfiguration(CorpusOptions.Section);
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        // Behind a reverse proxy the client's address is in X-Forwarded-For; only loopback and configured proxies are believed.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<AuthOptions>>((forwarded, auth) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var network in auth.Value.TrustedProxyNetworks) forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        services.AddHttpClient();
        services.AddScoped<CorpusSource>();
        services.AddScoped<CorpusBuilder>();
        services.AddScoped<CorpusStore>();
        // The run state machine and the dispatchers share one pool; transient errors are retried inside them.
        services.AddSingleton(_ => NpgsqlDataSource.Create(appConnection));
        services.AddSingleton(sp => new RunLife(sp.GetRequiredService<NpgsqlDataSource>(), Transient.RequestPatience, sp.GetRequiredService<ILogger<RunLife>>()));
        services.AddScoped<RunDispatcher>();
        services.AddScoped<WorkDispatcher>();
        services.AddScoped<SweepSubmitter>();
        services.AddScoped<SweepControl>();
        services.AddOptions<ReaperOptions>().BindConfiguration(ReaperOptions.Section);
        services.AddHostedService<StaleRunReaper>();
        services.AddProblemDetails();
        services.AddExceptionHandler<DatabaseUnavailable>();
        // Antiforgery tokens for the dashboard's scripts (SameOriginWrites) and for the Hangfire dashboard, which
        // validates them itself whenever IAntiforgery is registered.
        services.AddAntiforgery(o => o.HeaderName = SameOriginWrites.AntiforgeryHeader);
        // The API speaks the project's one JSON contract, and /openapi/v1.json describes it with the same options.
        services.ConfigureHttpJsonOptions(o => Shared.Json.JsonContract.Apply(o.SerializerOptions));
        services.AddOpenApi();
        services.AddDashboard();
        services.AddOrchestratorHealthChecks();
        return services;
    }

    /// <summary>Applies pending migrations; safe with several Orchestrators (EF Core takes a lock).</summary>
    public static async Task MigrateAsync(this WebApplication app, CancellationToken ct = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>().Database.MigrateSchemaAsync(ct);
    }
}
