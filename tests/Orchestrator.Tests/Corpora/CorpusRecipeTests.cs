using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Corpora;

/// <summary>
/// Corpora built from a generated source tree and from the same tree as .tar, .tar.gz and .tar.xz: the same recipe
/// gives the same bytes and checksum from every form of the source, every time; globs, order, separator and cap do
/// what <see cref="CorpusRecipe"/> documents, checked against bytes the test joins itself.
/// </summary>
public sealed class CorpusRecipeTests : IDisposable
{
    private readonly SourceTree _tree = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("rnnsweep-corpus-cache-").FullName;

    private CorpusBuilder Builder() => new(Options.Create(new CorpusOptions { CacheDir = _cache, AllowDownload = false }),
        new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), NullLogger<CorpusBuilder>.Instance);

    private async Task<(byte[] Bytes, PreparedCorpus Corpus)> BuildAsync(CorpusRecipe recipe)
    {
        var corpus = await Builder().BuildAsync(recipe, "corpusRecipe", SourceAccess.LocalUser, CancellationToken.None);
        await using var read = corpus.Open();
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        return (copy.ToArray(), corpus);
    }

    // How corpora.recipe was written before the one JSON contract was used for it: web defaults, nulls left out.
    private static readonly JsonSerializerOptions FormerStoredRecipeJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    [Fact]
    public async Task TheLinuxNames_TakeOnlyTextBuiltByTheirOwnRecipe_FromAnySource()
    {
        var linux = KnownCorpora.Find("linux")!.Recipe!;
        var (_, built) = await BuildAsync(linux with { Source = _tree.Root });
        CorpusStore.CheckKnownName("linux", built.Sha256, built.Recipe, "corpus");               // this tree stands in for a kernel of another version
        var full = Assert.Throws<ValidationException>(() => CorpusStore.CheckKnownName("linux-full", built.Sha256, built.Recipe, "corpus")); // cut to 6,206,996 bytes: not linux-full
        Assert.Equal("corpus", full.Errors.Single().Field);
        Assert.Contains("was not built by its recipe", full.Errors.Single().Message, StringComparison.Ordinal);

        var (_, onlyC) = await BuildAsync(linux with { Source = _tree.Root, Include = ["*.c"] });
        Assert.Throws<ValidationException>(() => CorpusStore.CheckKnownName("linux", onlyC.Sha256, onlyC.Recipe, "corpusRecipe"));
        Assert.Throws<ValidationException>(() => CorpusStore.CheckKnownName("Linux", built.Sha256, null, "name")); // uploaded bytes carry no recipe
        CorpusStore.CheckKnownName("my-kernel", onlyC.Sha256, onlyC.Recipe, "corpus");         // any other name takes any text
    }

    [Fact]
    public void StoredRecipe_WrittenWithTheContract_HasTheFormerShape_AndFormerRowsAreRead()
    {
        var sparse = new CorpusBuilder.StoredRecipe("rnnsweep-corpus-recipe/1", "/src/linux", null, null, null, null, "\n", null, 3, 2, "a.c", "b.h");
        var full = new CorpusBuilder.StoredRecipe("rnnsweep-corpus-recipe/1", "https://example.org/l.tar.xz", new string('a', 64), ["*.c", "*.h"], ["test/**"], 42, "\n\n", 1000, 9, 7, "x/a.c", "y/z.h");
        foreach (var recipe in new[] { sparse, full })
        {
            // The same text as before, so the API's raw copy of a new row looks like an old row's.
            Assert.Equal(JsonSerializer.Serialize(recipe, FormerStoredRecipeJson), recipe.ToJson());
            var read = CorpusBuilder.StoredRecipe.Read(JsonSerializer.Serialize(recipe, FormerStoredRecipeJson));
            Assert.Equal(recipe.ToJson(), read.ToJson());
        }
        Assert.DoesNotContain("null", sparse.ToJson(), StringComparison.Ordinal);

        // A row as stored by an earlier version, verbatim.
        var old = CorpusBuilder.StoredRecipe.Read("""{"format":"rnnsweep-corpus-recipe/1","source":"/src/linux","include":["*.c"],"seed":42,"separator":"\n","files":3,"filesUsed":2,"firstFile":"a.c","lastFileUsed":"b.c"}""");
        Assert.Equal(("/src/linux", (long?)42, "\n", 3, 2, "b.c"), (old.Source, old.Seed, old.Separator, old.Files, old.FilesUsed, old.LastFileUsed));
        Assert.Equal(["*.c"], old.Include!);
        Assert.Null(old.SourceSha256);
        Assert.Null(old.MaxBytes);
        // Not a stored recipe: named as JSON that cannot be read (the dashboard then shows no recipe).
        Assert.Throws<JsonException>(() => CorpusBuilder.StoredRecipe.Read("""{"format":"x","source":"/s","separator":"","files":1,"filesUsed":1,"firstFile":"a","lastFileUsed":"a","extra":1}"""));
    }

    /// <summary>What the recipe documents, computed here without the product: the files in this order, joined with the separator.</summary>
    private byte[] Expected(IEnumerable<string> paths, string separator = "\n")
    {
        using var joined = new MemoryStream();
        var first = true;
        foreach (var path in paths)
        {
            if (!first) joined.Write(Encoding.UTF8.GetBytes(separator));
            first = false;
            joined.Write(_tree.Read(path));
        }
        return joined.ToArray();
    }

    private IEnumerable<string> Sorted(Func<string, bool> take) => _tree.Files.Select(f => f.Replace('\\', '/')).Where(take).Order(StringComparer.Ordinal);

    // Computed independently (SplitMix64 and Fisher-Yates in a few lines of Python) for seed 1.
    private static readonly string[] PinnedOrder = ["e", "c", "i", "b", "j", "d", "a", "g", "h", "f"];

    private static bool IsCode(string path) => path.EndsWith(".c") || path.EndsWith(".h");

    [Fact]
    public async Task TheSameRecipe_GivesTheSameBytesAndChecksum_FromTheTree_EveryTarball_AndEveryRun()
    {
        var recipe = new CorpusRecipe { Include = ["*.c", "*.h"], Seed = 42 };
        var results = new List<(string Source, byte[] Bytes, string Sha)>();
        foreach (var source in new[] { _tree.Root, _tree.Tar, _tree.TarGz, _tree.TarXz, _tree.TarXz })
        {
            var (bytes, corpus) = await BuildAsync(recipe with { Source = source });
            using (corpus)
            {
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), corpus.Sha256);
                Assert.Equal(bytes.LongLength, corpus.Bytes);
                results.Add((source, bytes, corpus.Sha256));
                var stored = CorpusBuilder.StoredRecipe.Read(corpus.Recipe!);
                Assert.Equal(source, stored.Source);
                Assert.Equal(42, stored.Seed);
                Assert.Equal(Sorted(IsCode).Count(), stored.Files);
                if (source != _tree.Root) Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source))), stored.SourceSha256);
                // the stored recipe builds the same bytes again
                var (again, rebuilt) = await BuildAsync(stored.ToRecipe());
                using (rebuilt) Assert.Equal(corpus.Sha256, rebuilt.Sha256);
                Assert.Equal(bytes, again);
            }
        }
        Assert.All(results, r => Assert.Equal(results[0].Sha, r.Sha));

        // The seeded order is a permutation of the sorted files, the same for the same seed, another for another seed.
        var order = CorpusBuilder.Order([.. Sorted(IsCode)], 42);
        Assert.Equal(Expected(order), results[0].Bytes);
        Assert.NotEqual(Sorted(IsCode), order);
        Assert.Equal(Sorted(IsCode).Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
        Assert.NotEqual(order, CorpusBuilder.Order([.. Sorted(IsCode)], 43));
        // SplitMix64 is spelled out in the product, so this order is fixed for good: a change of it changes every seeded corpus.
        Assert.Equal(PinnedOrder, CorpusBuilder.Order(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], 1));
    }

    [Fact]
    public async Task Globs_TakeNamesInAnyFolder_PathsFromTheRoot_AndExcludesWin_InPathOrder_WithTheSeparator()
    {
        // a glob without '/' matches the name in any folder; the symbolic link is not a file of the tree
        var (all, c1) = await BuildAsync(new CorpusRecipe { Source = _tree.Tar, Include = ["*.c", "*.h"] });
        c1.Dispose();
        Assert.Equal(Expected(Sorted(IsCode)), all);
        Assert.DoesNotContain("kernel/link.c", Sorted(IsCode));

        // a glob with '/' matches the path from the root; ** spans folders; an exclude removes what an include took
        var recipe = new CorpusRecipe { Source = _tree.Root, Include = ["drivers/**/*.c", "include/linux/*.h"], Exclude = ["drivers/usb/**", "*3.h"], Separator = "\n/* next */\n" };
        var (some, c2) = await BuildAsync(recipe);
        c2.Dispose();
        bool Taken(string p) => ((p.StartsWith("drivers/") && p.EndsWith(".c")) || (p.StartsWith("include/linux/") && p.EndsWith(".h")))
                               && !p.StartsWith("drivers/usb/") && !p.EndsWith("3.h");
        Assert.Equal(Expected(Sorted(Taken), "\n/* next */\n"), some);
        Assert.Contains("drivers/net/empty.c", Sorted(Taken)); // an empty file still gets its separator

        // no include: every file
        var (everything, c3) = await BuildAsync(new CorpusRecipe { Source = _tree.TarGz, Separator = "" });
        c3.Dispose();
        Assert.Equal(Expected(Sorted(_ => true), ""), everything);
    }

    [Fact]
    public async Task TheCap_KeepsTheFirstBytesOfTheOrder_AndNeverHalfACharacter()
    {
        var recipe = new CorpusRecipe { Source = _tree.TarXz, Include = ["*.c"], Seed = 5 };
        var (full, c1) = await BuildAsync(recipe);
        c1.Dispose();
        foreach (var cap in new long[] { 100, 1234, full.Length - 1, full.Length, full.Length + 100 })
        {
            var (capped, corpus) = await BuildAsync(recipe with { MaxBytes = cap });
            using (corpus)
            {
                Assert.Equal(full.AsSpan(0, (int)Math.Min(cap, full.Length)).ToArray(), capped);
                var stored = CorpusBuilder.StoredRecipe.Read(corpus.Recipe!);
                Assert.Equal(cap, stored.MaxBytes);
                Assert.True(stored.FilesUsed <= stored.Files);
            }
        }

        // a cap inside 'é' (2 bytes) drops the character's first byte: the corpus stays UTF-8, one byte short
        var text = new CorpusRecipe { Source = _tree.Root, Include = ["kernel/utf8.c"] };
        var (utf8, c2) = await BuildAsync(text);
        c2.Dispose();
        var e = Array.IndexOf(utf8, (byte)0xC3);
        var (cut, c3) = await BuildAsync(text with { MaxBytes = e + 1 });
        c3.Dispose();
        Assert.Equal(utf8.AsSpan(0, e).ToArray(), cut);
    }

    [Fact]
    public async Task BadRecipes_AreRefused_NamingTheField()
    {
        async Task<FieldError> Refused(CorpusRecipe recipe) =>
            Assert.Single((await Assert.ThrowsAsync<ValidationException>(() => BuildAsync(recipe))).Errors);

        Assert.Equal("corpusRecipe.include", (await Refused(new() { Source = _tree.Tar, Include = ["*.rs"] })).Field);
        Assert.Equal("corpusRecipe.source", (await Refused(new() { Source = Path.Combine(_tree.Dir, "missing.tar") })).Field);
        Assert.Equal("corpusRecipe.source", (await Refused(new() { Source = null })).Field);
        var notTar = Path.Combine(_tree.Dir, "plain.tar.gz");
        await File.WriteAllBytesAsync(notTar, [0x1f, 0x8b, 1, 2, 3, 4, 5]);
        Assert.Equal("corpusRecipe.source", (await Refused(new() { Source = notTar })).Field);
        Assert.Equal("corpusRecipe.sourceSha256", (await Refused(new() { Source = "https://example.org/linux.tar.xz" })).Field);
        Assert.Equal("corpusRecipe.sourceSha256", (await Refused(new() { Source = _tree.Tar, SourceSha256 = new string('0', 64) })).Field);
        Assert.Equal("corpusRecipe.maxBytes", (await Refused(new() { Source = _tree.Tar, MaxBytes = 0 })).Field);
        Assert.Equal("corpusRecipe.include[0]", (await Refused(new() { Source = _tree.Tar, Include = [""] })).Field);
        // nothing is left behind in the cache's temporary folder
        Assert.Empty(Directory.Exists(Path.Combine(_cache, "tmp")) ? Directory.GetFiles(Path.Combine(_cache, "tmp")) : []);
    }

    public void Dispose()
    {
        _tree.Dispose();
        try { Directory.Delete(_cache, recursive: true); } catch (IOException) { }
    }
}
