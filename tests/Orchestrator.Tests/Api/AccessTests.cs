using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hangfire;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// Requests from another machine need credentials; viewers only read; SQL readers only select.
/// A request "from another machine" is one whose trusted proxy (loopback) forwards a non-loopback client address.
/// </summary>
/// <remarks>
/// The request cases share two Orchestrators, one with no user configured (<see cref="SharedOrchestrator"/>) and one
/// with an admin and a viewer (<see cref="WithUsers"/>): they store nothing but a job in a queue of their own.
/// </remarks>
public sealed class AccessTests(PostgresFixture postgres, SharedOrchestrator noUsers, AccessTests.WithUsers withUsers)
    : IClassFixture<PostgresFixture>, IClassFixture<SharedOrchestrator>, IClassFixture<AccessTests.WithUsers>
{
    /// <summary>An Orchestrator with the admin "ada" and the viewer "vic".</summary>
    public sealed class WithUsers() : SharedOrchestrator(
        "--Auth:Users:0:Name=ada", "--Auth:Users:0:Password=admin-secret", "--Auth:Users:0:Role=admin",
        "--Auth:Users:1:Name=vic", "--Auth:Users:1:Password=viewer-secret", "--Auth:Users:1:Role=viewer");

    private const string Remote = "203.0.113.7";

    private static HttpRequestMessage FromRemote(HttpMethod method, string path, string? user = null, string? password = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", Remote);
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/hangfire")]
    [InlineData("/api/sweeps")]
    public async Task RemoteRequest_IsRefused_WhenNoUserIsConfigured(string path)
    {
        var host = noUsers.Host;
        using var local = await host.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        using var remote = await host.Http.SendAsync(FromRemote(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/hangfire")]
    [InlineData("/api/sweeps")]
    public async Task RemoteRequest_NeedsCredentials_AndViewersOnlyRead(string path)
    {
        var host = withUsers.Host;

        using var anonymous = await host.Http.SendAsync(FromRemote(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var wrong = await host.Http.SendAsync(FromRemote(HttpMethod.Get, path, "vic", "admin-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var viewer = await host.Http.SendAsync(FromRemote(HttpMethod.Get, path, "vic", "viewer-secret"));
        Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);

        using var viewerWrites = await host.Http.SendAsync(FromRemote(HttpMethod.Post, "/api/sweeps", "vic", "viewer-secret"));
        Assert.Equal(HttpStatusCode.Forbidden, viewerWrites.StatusCode);
        using var adminWrites = await host.Http.SendAsync(FromRemote(HttpMethod.Post, "/api/sweeps", "ada", "admin-secret"));
        Assert.Equal(HttpStatusCode.BadRequest, adminWrites.StatusCode); // let through, then refused as an empty spec
    }

    [Fact]
    public async Task HangfireDashboard_IsReadOnly_ForViewers()
    {
        var host = withUsers.Host;
        // A job that stays enqueued: no Worker listens on this queue (the Orchestrator runs no Hangfire server).
        var jobId = host.Service<IBackgroundJobClient>().Enqueue<ISampleJob>("access-test", job => job.SampleAsync(-1, CancellationToken.None));

        // Why pages, not only a command: the access middleware refuses a viewer's POST before Hangfire sees it, so a
        // refused command alone would pass without read-only mode. Read-only mode is what leaves the command buttons
        // (requeue, delete) off the pages a viewer may read; an admin gets them on the same pages.
        foreach (var page in new[] { $"/hangfire/jobs/details/{jobId}", "/hangfire/jobs/enqueued/access-test" })
        {
            using var admin = await host.Http.SendAsync(FromRemote(HttpMethod.Get, page, "ada", "admin-secret"));
            Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
            Assert.Matches(CommandButton, await admin.Content.ReadAsStringAsync());

            using var viewer = await host.Http.SendAsync(FromRemote(HttpMethod.Get, page, "vic", "viewer-secret"));
            Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
            var html = await viewer.Content.ReadAsStringAsync();
            Assert.Contains(jobId, html); // the viewer does see the job
            Assert.DoesNotMatch(CommandButton, html);
        }

        // And a command sent anyway is refused (by the middleware, first).
        using var command = await host.Http.SendAsync(FromRemote(HttpMethod.Post, "/hangfire/jobs/enqueued/delete", "vic", "viewer-secret"));
        Assert.Equal(HttpStatusCode.Forbidden, command.StatusCode);
    }

    /// <summary>A dashboard button that posts a command: requeue or delete, from a job's page or a queue's list.</summary>
    private const string CommandButton = """data-(url|ajax)="[^"]*/(jobs/actions/(requeue|delete)/|jobs/enqueued/delete)""";

    [Fact]
    public async Task ReaderRole_SelectsResults_ButCannotWrite()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var conn = new NpgsqlConnection(host.ConnectionString);
        await conn.OpenAsync();
        await using (var role = new NpgsqlCommand("set role rnnsweep_reader", conn)) await role.ExecuteNonQueryAsync();

        await using (var read = new NpgsqlCommand("select count(*) from loss_table", conn)) Assert.Equal(0L, await read.ExecuteScalarAsync());
        await using (var readRuns = new NpgsqlCommand("select count(*) from runs", conn)) Assert.Equal(0L, await readRuns.ExecuteScalarAsync());

        foreach (var write in new[]
                 {
                     "insert into corpora (name, sha256, bytes, characters, vocabulary_size, created_at) values ('x', 'x', 1, 1, 1, now())",
                     "insert into corpus_chunks (corpus_id, index, data) values (1, 0, 'x')",
                     "delete from sweeps", $"update runs set status = '{RunStatus.Failed}'", "drop view loss_table", "create table mine (id int)",
                 })
        {
            await using var cmd = new NpgsqlCommand(write, conn);
            var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal("42501", error.SqlState); // insufficient_privilege
        }
    }
}
