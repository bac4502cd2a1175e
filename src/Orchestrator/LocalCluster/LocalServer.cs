using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>The Orchestrator web application hosted inside a CLI command.</summary>
public static class LocalServer
{
    /// <param name="args">Configuration overrides, e.g. <c>--Auth:AllowLocalWithoutLogin=false</c>.</param>
    public static async Task<WebApplication> StartAsync(string connectionString, string url, CancellationToken ct, string[]? args = null)
    {
        // Another RnnSweep (or anything) holds the default port: any free loopback port will do. Checked before
        // starting, because a failed start logs the bind error with its stack trace; the catch below covers a race.
        CheckUrls(url, moveFromDefault: true);
        var moved = url == OrchestratorApp.DefaultUrl && !IsFree(new Uri(url).Port);
        var app = OrchestratorApp.Build(args ?? [], connectionString, moved ? AnyFreePort : url);
        await app.MigrateAsync(ct);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException) when (url == OrchestratorApp.DefaultUrl && !moved)
        {
            await app.DisposeAsync();
            (app, moved) = (OrchestratorApp.Build(args ?? [], connectionString, AnyFreePort), true);
            await app.StartAsync(ct);
        }
        if (moved) Console.WriteLine($"{url} is in use (another RnnSweep?): this one's dashboard is at {Address(app)}");
        return app;
    }

    private const string AnyFreePort = "http://127.0.0.1:0";

    private static bool IsFree(int port) => IsFree(IPAddress.Loopback, port);

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(address, port);
            probe.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true; // not ours to judge (an address this host lacks, a privileged port): Kestrel says what is wrong
        }
    }

    /// <summary>
    /// Checks a <c>--urls</c> value (Kestrel's list, ';'-separated) before anything starts: each entry must be an
    /// http(s) URL with a port from 0 to 65535 (a host of <c>*</c> or <c>+</c> means every address), and no literal
    /// address, <c>localhost</c> or wildcard among them may be held by another process (checked here because a failed
    /// start logs the bind error with its stack trace). <paramref name="moveFromDefault"/>: the default address may be
    /// taken, the caller moves to a free port. Kestrel reports any other conflict itself.
    /// </summary>
    /// <exception cref="ValidationException">Names the entry and what is wrong with it.</exception>
    public static void CheckUrls(string urls, bool moveFromDefault = false)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withHost = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(withHost, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Port is < 0 or > 65535)
            {
                throw new ValidationException("--urls", $"'{url}' is not an http(s) URL with a port from 0 to 65535, such as http://127.0.0.1:5080");
            }
            if (moveFromDefault && url == OrchestratorApp.DefaultUrl) continue;
            IPAddress[] addresses = uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
                // Any other host name is bound by Kestrel on every address, which any listener on the port blocks.
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? [ip] : [IPAddress.Any];
            if (uri.Port > 0 && addresses.Any(address => !IsFree(address, uri.Port)))
            {
                throw new ValidationException("--urls", $"{url} is in use (another RnnSweep?): stop that server or choose another address with --urls");
            }
        }
    }

    /// <summary>Stops the web application (HTTP requests in flight get up to 5 s), before its database goes away.</summary>
    public static async Task StopAsync(WebApplication app)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token);
    }

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <param name="warnWithoutWorkers">Whether to warn on stderr when no Worker listens on the sweep's queue
    /// (<c>submit</c>, which starts none; <c>sweep</c> starts its own).</param>
    public static async Task<long> SubmitAsync(WebApplication app, SweepSpec spec, CancellationToken ct, string? idempotencyKey = null, bool warnWithoutWorkers = false)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, idempotencyKey, ct, Corpora.SourceAccess.LocalUser);
        var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
        var waiting = await db.Runs.CountAsync(r => r.SweepId == result.Sweep.Id && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running), ct);
        Console.WriteLine(result.Created ? $"Sweep {result.Sweep.Id} '{result.Sweep.Name}': {result.Runs} runs enqueued"
            : waiting > 0 ? $"Sweep {result.Sweep.Id} '{result.Sweep.Name}' was already submitted: {waiting} of its {result.Runs} runs still to train"
            : $"Sweep {result.Sweep.Id} '{result.Sweep.Name}' was already submitted, and none of its runs is left to train: 'rnnsweep table {result.Sweep.Id}' " +
              $"shows its results, 'rnnsweep resume {result.Sweep.Id}' trains its failed or cancelled cells again");
        if (warnWithoutWorkers && waiting > 0)
        {
            WarnWithoutWorkers(app, result.Sweep.Queue, "the runs wait until one starts. 'rnnsweep sweep' with the same options trains them on this " +
                "machine (the same spec is the same sweep); README.md, section HTTP API, says how to start Workers elsewhere.");
        }
        return result.Sweep.Id;
    }

    /// <summary>
    /// A warning on stderr when no Worker listens on <paramref name="queue"/>: "no Worker is listening on queue 'cpu' ...:
    /// <paramref name="consequence"/>". Only a hint: what waits is stored, so a failure to look (the database away) is
    /// said, never thrown.
    /// </summary>
    public static void WarnWithoutWorkers(WebApplication app, string queue, string consequence)
    {
        try
        {
            if (WorkersListening(app, queue) > 0) return;
            Console.Error.WriteLine($"warning: no Worker is listening on queue '{queue}' (none has reported to Hangfire in the last " +
                $"{WorkerSilence.TotalMinutes:0} minutes): {consequence}");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"note: whether a Worker listens on queue '{queue}' could not be checked: {e.Message}");
        }
    }

    /// <summary>How long a Hangfire server may go without a heartbeat and still count as a Worker (Hangfire's own beat is every 30 s).</summary>
    private static readonly TimeSpan WorkerSilence = TimeSpan.FromMinutes(2);

    /// <summary>Hangfire servers (the Workers) that listen on <paramref name="queue"/> and reported within <see cref="WorkerSilence"/>.</summary>
    public static int WorkersListening(WebApplication app, string queue)
    {
        var since = DateTime.UtcNow - WorkerSilence;
        return app.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi().Servers()
            .Count(s => s.Heartbeat is { } beat && beat >= since && s.Queues.Contains(queue));
    }

    /// <returns>The sweep's loss table and its n-gram baselines.</returns>
    public static async Task<(LossTable Table, IReadOnlyList<Dashboard.NGramRow> NGram)> LossTableAsync(WebApplication app, long sweepId, CancellationToken ct)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
        return ((await LossTable.LoadAsync(db, sweepId, ct))!, await Dashboard.NGramRow.LoadAsync(db, sweepId, ct));
    }
}
