using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Corpora;

/// <summary>
/// A corpus recipe given over the HTTP API reads only under the configured source roots (<c>Corpora:SourceRoots</c>):
/// a path outside them, however it gets there (absolute, <c>..</c>, a symbolic link inside a root pointing out,
/// a link followed by <c>..</c>), or a URL outside the allowed prefixes, is refused with 400 naming
/// <c>corpusRecipe.source</c>, and nothing is stored. Inside a root (named through a link to it, too) a recipe works,
/// and links inside the tree that point out are not followed.
/// </summary>
public sealed class RecipeSourceRootsTests(PostgresFixture postgres) : IAsyncLifetime, IClassFixture<PostgresFixture>
{
    private readonly SourceTree _tree = new();
    private OrchestratorHost _host = null!;
    private string _root = null!;
    private const string Secret = "SECRET-OUTSIDE-THE-ROOT";

    public async Task InitializeAsync()
    {
        // tree.Dir/root is the one root, configured through a link to it; the tree's own folder and tarballs lie outside.
        _root = Directory.CreateDirectory(Path.Combine(_tree.Dir, "root")).FullName;
        var rootLink = Path.Combine(_tree.Dir, "root-link");
        File.CreateSymbolicLink(rootLink, _root);
        File.Copy(_tree.Tar, Path.Combine(_root, "inside.tar"));
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), _tree.Root);
        File.CreateSymbolicLink(Path.Combine(_root, "escape.tar"), _tree.Tar);
        // A tree inside the root with links that point out: a file and a folder holding the secret.
        var outside = Directory.CreateDirectory(Path.Combine(_tree.Dir, "outside")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.c"), $"/* {Secret} */\n");
        var inner = Directory.CreateDirectory(Path.Combine(_root, "tree")).FullName;
        foreach (var file in _tree.Files.Where(f => f.EndsWith(".c") || f.EndsWith(".h")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(inner, file))!);
            File.Copy(Path.Combine(_tree.Root, file), Path.Combine(inner, file));
        }
        File.CreateSymbolicLink(Path.Combine(inner, "secret.c"), Path.Combine(outside, "secret.c"));
        File.CreateSymbolicLink(Path.Combine(inner, "outdir"), outside);

        _host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), $"--Corpora:SourceRoots:0={rootLink}",
            $"--Corpora:CacheDir={Path.Combine(_tree.Dir, "cache")}", "--Corpora:AllowDownload=false", "--Reaper:Interval=01:00:00");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    private Task<HttpResponseMessage> Submit(string name, object recipe) => _host.Http.PostAsJsonAsync("/api/sweeps", new
    {
        name, corpus = name, corpusRecipe = recipe,
        models = new[] { "lstm" }, layers = new[] { 1 }, hiddenSizes = new[] { 8 },
        hyperparameters = new { maxEpochs = 1, seqLength = 16, batchSize = 4, trainFraction = 0.8, valFraction = 0.1, testFraction = 0.1 },
    });

    [Fact]
    public async Task ARecipeOutsideTheRoots_IsRefusedNamingTheField_AndNothingIsStored()
    {
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        var outside = new (string Case, object Recipe)[]
        {
            ("/etc", new { source = "/etc" }),
            ("a file outside", new { source = "/etc/passwd" }),
            ("a path that does not exist", new { source = "/no/such/tree.tar" }),
            ("the tree beside the root", new { source = _tree.Root, include = new[] { "*.c" } }),
            ("root/../", new { source = $"{_root}/../src" }),
            ("root/../../etc", new { source = $"{_root}/../../../../../../etc" }),
            ("a link in the root to a folder outside", new { source = Path.Combine(_root, "escape") }),
            ("a link in the root to a tarball outside", new { source = Path.Combine(_root, "escape.tar") }),
            // Lexically this is the root itself; the kernel resolves the link first, so it is the folder above the link's target.
            ("a link then ..", new { source = $"{_root}/escape/.." }),
            ("a relative path", new { source = "src" }),
            ("a URL outside the allowed prefixes", new { source = "http://127.0.0.1:9/tree.tar", sourceSha256 = new string('0', 64) }),
            ("a host that only starts like kernel.org", new { source = "https://cdn.kernel.org.example/pub/linux/kernel/x.tar.xz", sourceSha256 = new string('0', 64) }),
        };
        foreach (var (what, recipe) in outside)
        {
            using var response = await Submit("refused", recipe);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {body}");
            var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty("corpusRecipe.source", out var messages), $"{what}: {body}");
            var message = messages[0].GetString()!;
            Assert.True(message.Contains("outside", StringComparison.Ordinal) || message.Contains("absolute", StringComparison.Ordinal)
                || message.Contains("not under a URL", StringComparison.Ordinal), $"{what}: {message}");
            Assert.DoesNotContain("no such folder or file", message, StringComparison.Ordinal); // nothing told about what exists outside
        }
        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
    }

    [Fact]
    public async Task ARecipeInsideARoot_IsBuilt_AndLinksThatPointOut_AreNotFollowed()
    {
        // The tarball by its real path and by the configured link's path: the same bytes, stored once.
        foreach (var source in new[] { Path.Combine(_root, "inside.tar"), Path.Combine(_tree.Dir, "root-link", "inside.tar") })
        {
            using var response = await Submit("inside", new { source, include = new[] { "*.c", "*.h" } });
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{source}: {await response.Content.ReadAsStringAsync()}");
        }
        using (var folder = await Submit("folder", new { source = Path.Combine(_root, "tree"), separator = "\n\n" }))
        {
            Assert.True(folder.StatusCode == HttpStatusCode.Created, await folder.Content.ReadAsStringAsync());
        }

        await using var db = _host.Db();
        Assert.Equal(2, await db.Corpora.CountAsync());
        var treeCorpus = await db.Sweeps.Where(s => s.Name == "folder").Select(s => s.Corpus!).SingleAsync();
        var bytes = (await db.CorpusChunks.Where(c => c.CorpusId == treeCorpus.Id).OrderBy(c => c.Index).ToListAsync()).SelectMany(c => c.Data).ToArray();
        Assert.True(bytes.Length > 1000, $"{bytes.Length} bytes");
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var files = JsonDocument.Parse(treeCorpus.Recipe!).RootElement.GetProperty("files").GetInt32();
        Assert.Equal(_tree.Files.Count(f => f.EndsWith(".c") || f.EndsWith(".h")), files);
    }

    [Fact]
    public void Resolve_FollowsLinksBeforeDotDot_AsTheKernelDoes()
    {
        Assert.Equal(_tree.Dir, SourceRoots.Resolve($"{_root}/escape/.."));
        Assert.Equal(_root, SourceRoots.Resolve($"{_tree.Dir}/root-link/tree/.."));
        Assert.Equal(_tree.Tar, SourceRoots.Resolve(Path.Combine(_root, "escape.tar")));
        Assert.Equal("/etc", SourceRoots.Resolve($"{_root}/../../../../../../../etc"));
        Assert.True(SourceRoots.IsUnder(Path.Combine(_root, "a"), _root));
        Assert.False(SourceRoots.IsUnder(_root + "-other/a", _root));
    }
}
