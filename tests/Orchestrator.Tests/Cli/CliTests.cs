using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Tests.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>The CLI, run in-process against a test database, says what the API says.</summary>
[Collection(DatabaseCollection.Name)]
public sealed partial class CliTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Table_PrintsTheSameLossesAsTheApi_ForAFinishedSweep()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "cli-table", "generated", ["lstm", "gru", "rnn"], [1, 2], [64, 128, 256]);
        // Row 64 as a parameter budget: its LSTM 2 trains 45 units, which the table's labels alone would hide.
        await using (var db = orchestrator.Db())
        {
            await db.Runs.Where(r => r.SweepId == sweepId && r.Model == "lstm" && r.Layers == 2 && r.Size == 64).ExecuteUpdateAsync(u => u.SetProperty(r => r.Hidden, 45));
        }

        var (exit, stdout) = await RunCliAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, exit);

        var api = await orchestrator.Http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweepId}/loss-table");
        var columns = api.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("label").GetString()!).ToList();
        var header = stdout.Split('\n').First(l => l.Contains("size", StringComparison.Ordinal));
        Assert.Equal(columns, ColumnLabel().Matches(header).Select(m => m.Value).ToList());
        foreach (var row in api.GetProperty("rows").EnumerateArray())
        {
            var size = row.GetProperty("size").GetInt32();
            var expected = row.GetProperty("cells").EnumerateArray()
                .Select(c => c.GetProperty("testLoss") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble().ToString("0.000", CultureInfo.InvariantCulture) : c.GetProperty("status").GetString()!)
                .ToList();
            var line = stdout.Split('\n').Single(l => Regex.IsMatch(l, $@"^\W*{size}\W"));
            var printed = Words().Matches(line).Select(m => m.Value).Skip(1).ToList();
            Assert.Equal(expected, printed);
        }
        Assert.Contains("best:", stdout, StringComparison.Ordinal);
        var trains = stdout.Split('\n').Where(l => l.Contains(" trains: ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("row 64 trains: lstm 1 x 64, lstm 2 x 45, ", trains.Single().Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("val", "validation")]
    [InlineData("train", "train")]
    [InlineData("test", "test")]
    public async Task Table_BestLine_NamesAndPicksTheLossShown(string loss, string word)
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "cli-best", "generated", ["lstm", "gru"], [1], [16, 32]);
        await using var db = orchestrator.Db();
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId && r.Status == RunStatus.Succeeded).ToListAsync();
        Func<Shared.Schema.Run, double?> pick = loss switch { "val" => r => r.ValLoss, "train" => r => r.TrainLoss, _ => r => r.TestLoss };
        var best = runs.Where(r => pick(r) is not null).MinBy(r => pick(r))!;

        // An n-gram baseline below every network's test loss is said under the test table (it is a test loss).
        var gram = best.TestLoss!.Value - 0.25;
        db.NGramBaselines.AddRange(
            new Shared.Schema.NGramBaseline { SweepId = sweepId, Order = 3, Smoothing = "kneser-ney", TestLoss = gram, CreatedAt = DateTimeOffset.UtcNow },
            new Shared.Schema.NGramBaseline { SweepId = sweepId, Order = 2, Smoothing = "kneser-ney", TestLoss = gram + 0.5, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();

        var (exit, stdout) = await RunCliAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture), "--loss", loss);
        Assert.Equal(0, exit);
        Assert.Contains($"best: {pick(best)!.Value.ToString("0.000", CultureInfo.InvariantCulture)} {word} loss (run {best.Id})", stdout, StringComparison.Ordinal);
        var line = $"n-gram baseline: {gram.ToString("0.000", CultureInfo.InvariantCulture)} test loss (order 3, kneser-ney): below the best network in this table";
        if (loss == "test") Assert.Contains(line, stdout, StringComparison.Ordinal);
        else Assert.DoesNotContain("n-gram", stdout, StringComparison.Ordinal);
        if (loss != "test") return;

        // Above the best network: the line gives it, and says nothing more.
        await db.NGramBaselines.Where(n => n.SweepId == sweepId).ExecuteUpdateAsync(u => u.SetProperty(n => n.TestLoss, n => n.TestLoss + 1));
        (exit, stdout) = await RunCliAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, exit);
        var above = stdout.Split('\n').Single(l => l.StartsWith("n-gram baseline: ", StringComparison.Ordinal)).Trim();
        Assert.Equal($"n-gram baseline: {(gram + 1).ToString("0.000", CultureInfo.InvariantCulture)} test loss (order 3, kneser-ney)", above);
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task Sweep_TrainsTheGridWithItsOwnWorkers_PrintsTheTable_AndLeavesEveryRunAnalysed()
    {
        var connection = await postgres.CreateEmptyDatabaseAsync();
        var spec = Path.Combine(TestPaths.Artifacts("cli"), "sweep-spec.json");
        await File.WriteAllTextAsync(spec, JsonSerializer.Serialize(new
        {
            name = "cli sweep", corpus = "generated", corpusText = GeneratedText.Sentences(12_000),
            models = new[] { "lstm", "gru" }, layers = new[] { 1 }, hiddenSizes = new[] { 16 },
            hyperparameters = new { maxEpochs = 2, patience = 2, seqLength = 16, batchSize = 8, learningRate = 0.01, seed = 7 },
        }));

        var (exit, stdout) = await RunCliAsync(connection, "sweep", "--spec", spec, "--workers", "1", "--threads", "1", "--exit");

        Assert.Equal(0, exit);
        await using var db = Shared.Database.DatabaseSettings.CreateContext(connection);
        var runs = await db.Runs.AsNoTracking().ToListAsync();
        Assert.Equal(2, runs.Count);
        // The command stops its Workers when it returns: the analyses of the last cells must be stored by then.
        Assert.All(runs, r => Assert.Equal((Shared.Domain.RunStatus.Succeeded, true), (r.Status, r.AnalyzedAt is not null)));
        foreach (var run in runs) Assert.Contains(run.TestLoss!.Value.ToString("0.000", CultureInfo.InvariantCulture), stdout, StringComparison.Ordinal);
        Assert.Matches(@"Dashboard: http://127\.0\.0\.1:\d+/sweeps/\d+", stdout);
        // Where to watch it is said before the table, while it trains.
        var watch = Regex.Match(stdout, @"Watch it at http://127\.0\.0\.1:\d+/sweeps/\d+, its jobs at http://127\.0\.0\.1:\d+/hangfire, its tables with psql postgresql://\S+\r?$", RegexOptions.Multiline);
        Assert.True(watch.Success, stdout);
        Assert.True(watch.Index < stdout.IndexOf("Dashboard: ", StringComparison.Ordinal));
    }

    /// <summary>
    /// A file given to --corpus is named after it: tinyshakespeare.txt holding other text is refused before anything is
    /// stored, and the error says how to go on (the name is RnnSweep's corpus's; rename the file).
    /// </summary>
    [Fact]
    public async Task Submit_AFileNamedAfterANamedCorpus_HoldingOtherText_IsRefused_SayingToRenameIt()
    {
        var connection = await postgres.CreateDatabaseAsync();
        var file = await GeneratedCorpusFileAsync("named-corpus", "tinyshakespeare.txt");
        var spec = Path.Combine(Path.GetDirectoryName(file)!, "spec.json");
        await File.WriteAllTextAsync(spec, JsonSerializer.Serialize(new
        {
            name = "cli named corpus", models = new[] { "lstm" }, layers = new[] { 1 }, hiddenSizes = new[] { 8 },
            hyperparameters = new { maxEpochs = 1, seqLength = 8, batchSize = 4 },
        }));

        var previousError = Console.Error;
        var errors = new StringWriter();
        Console.SetError(errors);
        int exit;
        try
        {
            (exit, _) = await RunCliAsync(connection, "submit", "--spec", spec, "--corpus", file);
        }
        finally
        {
            Console.SetError(previousError);
        }

        var message = errors.ToString();
        Assert.True(exit == 2, $"exit {exit}: {message}");
        Assert.Contains("error: --corpus (corpus): 'tinyshakespeare' is the name of RnnSweep's corpus tinyshakespeare", message, StringComparison.Ordinal);
        Assert.Contains("rename it", message, StringComparison.Ordinal);
        await using var db = DatabaseSettings.CreateContext(connection);
        Assert.Equal(0, await db.Sweeps.CountAsync());
        Assert.Equal(0, await db.Corpora.CountAsync());
    }

    /// <summary>
    /// <c>--max-epochs</c> caps every run of a sweep without a spec file (a new user found no flag for it); a cap out of
    /// range is refused naming the field, before anything is stored.
    /// </summary>
    [Fact]
    public async Task Submit_MaxEpochs_CapsEveryRun_AndAnOutOfRangeCapIsRefused()
    {
        var connection = await postgres.CreateDatabaseAsync();
        var file = await GeneratedCorpusFileAsync("max-epochs", "small.txt");
        string[] grid = ["--preset", "quick", "--corpus", file, "--models", "lstm", "gru", "--layers", "1", "--hidden-sizes", "8"];

        var (refused, _, stderr) = await CliRunner.RunAsync(connection, ["submit", .. grid, "--max-epochs", "0"]);
        Assert.True(refused == 2, $"exit {refused}: {stderr}");
        Assert.Contains("error: --max-epochs (hyperparameters.maxEpochs): must be between 1 and", stderr, StringComparison.Ordinal);
        await using (var db = DatabaseSettings.CreateContext(connection)) Assert.Equal(0, await db.Sweeps.CountAsync());

        (var exit, _, stderr) = await CliRunner.RunAsync(connection, ["submit", .. grid, "--max-epochs", "3"]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        await using (var db = DatabaseSettings.CreateContext(connection))
        {
            Assert.Equal(new[] { 3, 3 }, await db.Runs.Select(r => r.MaxEpochs).ToArrayAsync());
        }
        // No Worker has ever reported to this database: submit says the runs will wait.
        Assert.Contains("warning: no Worker is listening on queue 'cpu'", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// submit warns only when no Worker listens on the sweep's queue: a Hangfire server that reports on another queue
    /// does not count, one on the sweep's queue does (announced through Hangfire's storage, as a Worker announces itself).
    /// </summary>
    [Fact]
    public async Task Submit_WarnsWhenNoWorkerListensOnTheSweepsQueue()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var file = await GeneratedCorpusFileAsync("no-worker", "small.txt");
        var storage = orchestrator.Service<Hangfire.JobStorage>();
        async Task<string> SubmitAsync(string name)
        {
            var (exit, _, stderr) = await CliRunner.RunAsync(connection, "submit", "--preset", "quick", "--corpus", file, "--name", name, "--models", "lstm", "--layers", "1", "--hidden-sizes", "8");
            Assert.True(exit == 0, $"exit {exit}: {stderr}");
            return stderr;
        }
        using (var hangfire = storage.GetConnection())
        {
            hangfire.AnnounceServer("gpu-worker", new Hangfire.Server.ServerContext { Queues = ["0-gpu", "gpu"], WorkerCount = 1 });
            Assert.Contains("warning: no Worker is listening on queue 'cpu'", await SubmitAsync("first"), StringComparison.Ordinal);
            // The same sweep again, with nothing left to train: no run waits, so no warning.
            var (cancelled, said, cancelError) = await CliRunner.RunAsync(connection, "cancel", "1");
            Assert.True(cancelled == 0, cancelError);
            Assert.Equal("1 run cancelled", said.Trim().Split('\n')[^1]);
            var (cancelledAgain, nothing, _) = await CliRunner.RunAsync(connection, "cancel", "1");
            Assert.Equal(0, cancelledAgain);
            Assert.Equal("nothing to cancel: sweep 1 has no queued or running run", nothing.Trim().Split('\n')[^1]);
            // Resumed with no Worker on its queue: the run waits, and that is said.
            var (resumed, resumeSaid, resumeWarning) = await CliRunner.RunAsync(connection, "resume", "1");
            Assert.Equal(0, resumed);
            Assert.Equal("1 run enqueued", resumeSaid.Trim().Split('\n')[^1]);
            Assert.Contains("warning: no Worker is listening on queue 'cpu'", resumeWarning, StringComparison.Ordinal);
            (cancelled, _, cancelError) = await CliRunner.RunAsync(connection, "cancel", "1");
            Assert.True(cancelled == 0, cancelError);
            var (resubmitted, stdout, again) = await CliRunner.RunAsync(connection, "submit", "--preset", "quick", "--corpus", file, "--name", "first", "--models", "lstm", "--layers", "1", "--hidden-sizes", "8");
            Assert.True(resubmitted == 0, again);
            Assert.Contains("was already submitted, and none of its runs is left to train: 'rnnsweep table 1' shows its results", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("warning", again, StringComparison.Ordinal);
            hangfire.AnnounceServer("cpu-worker", new Hangfire.Server.ServerContext { Queues = ["0-cpu", "cpu"], WorkerCount = 1 });
            Assert.DoesNotContain("warning", await SubmitAsync("second"), StringComparison.Ordinal);
        }

        // The check failing (here Hangfire's server table gone) is said; the sweep stays stored and submit succeeds.
        await using (var sql = new Npgsql.NpgsqlConnection(connection))
        {
            await sql.OpenAsync();
            await using (var hide = new Npgsql.NpgsqlCommand("alter table hangfire.server rename to server_hidden", sql)) await hide.ExecuteNonQueryAsync();
            var stderr = await SubmitAsync("third");
            Assert.Contains("note: whether a Worker listens on queue 'cpu' could not be checked", stderr, StringComparison.Ordinal);
            await using (var show = new Npgsql.NpgsqlCommand("alter table hangfire.server_hidden rename to server", sql)) await show.ExecuteNonQueryAsync();
        }
        await using var db = orchestrator.Db();
        Assert.Equal(3, await db.Sweeps.CountAsync());
    }

    /// <summary>sample with no Worker on the run's queue says so at once, rather than only waiting out --wait.</summary>
    [Fact]
    public async Task Sample_WarnsWhenNoWorkerListensOnTheRunsQueue()
    {
        var connection = await postgres.CreateDatabaseAsync();
        var sweepId = await SyntheticSweep.CreateAsync(connection, "sample-no-worker", "synthetic", ["lstm"], [1], [8]);
        long runId;
        await using (var sql = new Npgsql.NpgsqlConnection(connection))
        {
            await sql.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("""
                insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
                select id, $2, 1, 1.0, '\x00', '\x00', '{}', now() from runs where sweep_id = $1 returning run_id
                """, sql);
            cmd.Parameters.AddWithValue(sweepId);
            cmd.Parameters.AddWithValue(CheckpointKind.Best);
            runId = (long)(await cmd.ExecuteScalarAsync())!;
        }
        var (exit, _, stderr) = await CliRunner.RunAsync(connection, "sample", runId.ToString(CultureInfo.InvariantCulture), "--wait", "1");
        Assert.Equal(1, exit);
        Assert.Matches(@"warning: no Worker is listening on queue '[a-z0-9-]+' \(none has reported to Hangfire in the last 2 minutes\): the sample waits for one \(this command for at most 1 s, --wait\)", stderr);
        Assert.Contains("no Worker answered in 1 s", stderr, StringComparison.Ordinal);
    }

    /// <summary>A corpus file whose name is no corpus name is refused naming the file, not the corpus and sweep-name fields the user never typed.</summary>
    [Fact]
    public async Task Submit_ACorpusFileWhoseNameIsNoCorpusName_IsRefusedNamingTheFile()
    {
        var file = await GeneratedCorpusFileAsync("bad-name", "my@corpus!.txt");
        var (exit, _, stderr) = await CliRunner.RunAsync(null, "submit", "--preset", "quick", "--corpus", file, "--models", "lstm", "--layers", "1", "--hidden-sizes", "8");
        Assert.Equal(2, exit);
        Assert.Equal($"error: --corpus: {file}: a corpus is named after its file or folder, here 'my@corpus!', and a corpus name is 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit: rename it",
            stderr.Trim());
    }

    [Fact]
    public async Task Export_WritesOneCsvRowPerRun_WithTheStoredTestLoss()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "cli-export", "generated", ["lstm", "gru"], [1], [8, 16, 32]);

        var (exit, stdout) = await RunCliAsync(connection, "export", sweepId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, exit);
        var lines = stdout.Trim().Split('\n');
        var header = lines[0].Split(',');
        Assert.Equal(6, lines.Length - 1);
        await using var db = orchestrator.Db();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            var run = db.Runs.Single(r => r.Id == long.Parse(fields[0], CultureInfo.InvariantCulture));
            var testLoss = fields[Array.IndexOf(header, "test_loss")];
            Assert.Equal(run.TestLoss?.ToString("R", CultureInfo.InvariantCulture) ?? "", testLoss);
            Assert.Equal(run.Status, fields[Array.IndexOf(header, "status")]);
        }
    }

    [Fact]
    public async Task Help_ListsEveryCommandWithAnExample()
    {
        var (exit, stdout) = await RunCliAsync(null, "--help");
        Assert.Equal(0, exit);
        Assert.Matches(@"(?m)^Usage:\s*\n\s+rnnsweep \[command\] \[options\]", stdout);
        foreach (var command in new[] { "sweep", "serve", "submit", "status", "table", "export", "sample", "cancel", "resume" })
        {
            Assert.Matches($@"(?m)^\s+{command}\b", stdout);
        }
        var (_, exportHelp) = await RunCliAsync(null, "export", "--help");
        Assert.Contains("rnnsweep export 3 --what both --dir out", exportHelp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_BadValues_AreNamedAsTheCommandsFlags_BeforeAnyDatabaseWork()
    {
        var previousError = Console.Error;
        var errors = new StringWriter();
        Console.SetError(errors);
        try
        {
            var (exit, _) = await RunCliAsync(null, "sample", "1", "--top-k", "0", "--wait", "-1");
            Assert.Equal(2, exit);
            // --top-k with another method would be ignored: refused (alone, it means --method topk).
            (exit, _) = await RunCliAsync(null, "sample", "1", "--method", "greedy", "--top-k", "3");
            Assert.Equal(2, exit);
        }
        finally
        {
            Console.SetError(previousError);
        }
        var text = errors.ToString();
        Assert.Contains("error: --top-k: must be between 1 and", text, StringComparison.Ordinal);
        Assert.Contains("error: --wait: must be 0 to 86400 seconds, not -1", text, StringComparison.Ordinal);
        Assert.Contains("error: --top-k: applies to --method topk only, not greedy", text, StringComparison.Ordinal);
        Assert.DoesNotContain("topK", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}")]
    [InlineData("http://localhost:{0}")]
    [InlineData("http://127.0.0.1:{1};http://127.0.0.1:{0}")]
    [InlineData("http://rnnsweep-host.invalid:{0}")]                 // a host name: Kestrel binds every address
    public async Task Serve_OnAPortInUse_FailsInOneLine_BeforeAnyDatabaseWork(string urls)
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var free = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        free.Start();
        var freePort = ((System.Net.IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var given = string.Format(CultureInfo.InvariantCulture, urls, port, freePort);
        // No connection string: the check comes before the database (a private server would be started otherwise).
        var (exit, stdout, stderr) = await CliRunner.RunAsync(null, "serve", "--urls", given);
        var taken = given.Split(';')[^1];
        Assert.Equal(2, exit);
        Assert.Equal($"error: --urls: {taken} is in use (another RnnSweep?): stop that server or choose another address with --urls", stderr.Trim());
        Assert.DoesNotContain("Serving", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve", "http://127.0.0.1:99999")]
    [InlineData("serve", "notaurl")]
    [InlineData("sweep", "ftp://127.0.0.1:5080")]
    public async Task Urls_ThatAreNoAddress_AreNamed_BeforeAnyDatabaseWork(string verb, string urls)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync(null, verb, "--urls", urls);
        Assert.Equal(2, exit);
        Assert.Equal($"error: --urls: '{urls}' is not an http(s) URL with a port from 0 to 65535, such as http://127.0.0.1:5080", stderr.Trim());
    }

    /// <summary>A --corpus path that does not exist is named as a missing path, not judged as a corpus name.</summary>
    [Theory]
    [InlineData("submit")]
    [InlineData("sweep")]
    public async Task Corpus_APathThatDoesNotExist_IsNamedAsMissing_BeforeAnyDatabaseWork(string verb)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}", "corpus.txt");
        var (exit, _, stderr) = await CliRunner.RunAsync(null, verb, "--corpus", missing, "--models", "lstm", "--layers", "1", "--hidden-sizes", "8");
        Assert.Equal(2, exit);
        Assert.Equal($"error: --corpus: no such file or folder: {missing}", stderr.Trim());
    }

    /// <summary>An empty --corpus file is named by its path, not by the spec field its text would have filled.</summary>
    [Theory]
    [InlineData("submit")]
    [InlineData("sweep")]
    public async Task Corpus_AnEmptyFile_IsNamedByItsPath_BeforeAnyDatabaseWork(string verb)
    {
        var empty = Path.Combine(Path.GetTempPath(), $"empty-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(empty, "");
        try
        {
            var (exit, _, stderr) = await CliRunner.RunAsync(null, verb, "--corpus", empty, "--models", "lstm", "--layers", "1", "--hidden-sizes", "8");
            Assert.Equal(2, exit);
            Assert.Equal($"error: --corpus: {empty} is empty: a corpus needs text to train on", stderr.Trim());
        }
        finally
        {
            File.Delete(empty);
        }
    }

    /// <summary>A mistyped option or command is one line naming it and where the options are listed, exit 2, not the help page.</summary>
    [Theory]
    [InlineData("submit --max-epoch 3", "'--max-epoch'", "rnnsweep submit --help", "--max-epochs")]
    [InlineData("db start --bogus", "'--bogus'", "rnnsweep db start --help", null)]
    [InlineData("swep", "'swep'", "rnnsweep --help", "sweep")]
    [InlineData("submit --hidden-sizes abc", "'abc' for option '--hidden-sizes' as a whole number", "rnnsweep submit --help", null)]
    [InlineData("sweep --hiden-sizes 64", "'--hiden-sizes'", "rnnsweep sweep --help", "--hidden-sizes")]
    [InlineData("submit -- --layers", "'--layers'", "rnnsweep submit --help", null)]                   // after "--" it is a value, not a misspelt option
    [InlineData("status --wach", "'--wach'", "rnnsweep status --help", "--watch")]                      // where the command takes a sweep id
    [InlineData("status -- --wach", "'--wach' for command 'status'", "rnnsweep status --help", null)] // a value, by "--"
    [InlineData("table 3 --los val", "'--los'", "rnnsweep table --help", "--loss")]
    public async Task AnUnknownOptionOrCommand_IsNamed_WithWhereToLook(string args, string named, string help, string? suggested)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(null, args.Split(' '));
        Assert.Equal(2, exit);
        var lines = stderr.Trim().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(named, StringComparison.Ordinal));
        Assert.Equal($"Run '{help}' for the options.", lines[^1]);
        // The value of a mistyped option is not reported as a second unknown argument.
        Assert.DoesNotContain("argument '64'", stderr, StringComparison.Ordinal);
        // The nearest spelling, after the library's "Did you mean"; none for a stray value ("64" is no option).
        var suggestions = lines.SkipWhile(l => !l.Contains("Did you mean", StringComparison.Ordinal)).Skip(1).SkipLast(1).ToArray();
        if (suggested is null) Assert.Empty(suggestions);
        else Assert.Equal([suggested], suggestions);
        Assert.DoesNotContain("Usage:", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", stderr, StringComparison.Ordinal); // a command was given, if mistyped
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
    }

    /// <summary>An unknown sweep is an error for status as for table (exit 2, one line); no sweeps at all is not.</summary>
    [Fact]
    public async Task Status_OfAnUnknownSweep_IsAnError_AsForTable()
    {
        var connection = await postgres.CreateDatabaseAsync();
        foreach (var verb in new[] { "status", "table" })
        {
            var (exit, _, stderr) = await CliRunner.RunAsync(connection, verb, "999999");
            Assert.Equal(2, exit);
            Assert.Equal("error: sweep-id: no sweep 999999", stderr.Trim());
        }
        var (code, stdout, _) = await CliRunner.RunAsync(connection, "status");
        Assert.Equal(0, code);
        Assert.EndsWith("rnnsweep submit --preset quick\n", stdout.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>An unknown preset is the one error: not also every field the preset would have given.</summary>
    [Fact]
    public async Task AnUnknownPreset_IsTheOnlyError()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync(null, "submit", "--preset", "qiuck");
        Assert.Equal(2, exit);
        Assert.Equal("error: --preset (preset): unknown preset 'qiuck' (expected one of quick, paper, seed)", stderr.Trim());
    }

    /// <summary>submit without a preset or spec: every missing field, then where the usual values come from.</summary>
    [Fact]
    public async Task SubmitWithoutAPreset_NamesTheMissingFields_ThenThePresets()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync(null, "submit");
        Assert.Equal(2, exit);
        var lines = stderr.Trim().Split('\n');
        Assert.Equal("error: models: is required: one or more of lstm, gru, rnn", lines[1]);
        Assert.Equal("error: --preset: none given: a preset fills in the missing fields (quick, paper, seed), e.g. 'rnnsweep submit --preset quick'", lines[^1]);
        Assert.Equal(5, lines.Length);

        // A bad value is not missing: no preset would mend it, so no hint.
        (exit, _, stderr) = await CliRunner.RunAsync(null, "submit", "--corpus", "tinyshakespeare", "--models", "lstm", "--layers", "0", "--hidden-sizes", "8");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: --layers (layers[0]): must be between 1 and ", stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("--preset", stderr, StringComparison.Ordinal);
    }

    /// <summary>A file of generated sentences (12,000 characters) in a folder of its own under the test artifacts.</summary>
    private static async Task<string> GeneratedCorpusFileAsync(string folder, string name)
    {
        var dir = Path.Combine(TestPaths.Artifacts("cli"), folder);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name);
        await File.WriteAllTextAsync(file, GeneratedText.Sentences(12_000));
        return file;
    }

    /// <summary>Runs <c>rnnsweep ARGS</c> in this process with RNNSWEEP_CONNECTION set, capturing standard output.</summary>
    private static async Task<(int Exit, string Stdout)> RunCliAsync(string? connection, params string[] args)
    {
        var previousOut = Console.Out;
        var previousConnection = Environment.GetEnvironmentVariable(DatabaseSettings.EnvironmentVariable);
        var captured = new StringWriter();
        Console.SetOut(captured);
        if (connection is not null) Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, connection);
        try
        {
            var exit = await CliRoot.RunAsync(args);
            return (exit, captured.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, previousConnection);
        }
    }

    [GeneratedRegex(@"(lstm|gru|rnn) \d+")]
    private static partial Regex ColumnLabel();

    /// <summary>Numbers and status words of a table row, without the box-drawing characters.</summary>
    [GeneratedRegex(@"\d+\.\d{3}|\d+|queued|running|failed|diverged|cancelled|succeeded")]
    private static partial Regex Words();
}
