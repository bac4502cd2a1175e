using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Builds a corpus from a <see cref="CorpusRecipe"/>: finds the source (a folder, a tarball, or a tarball downloaded
/// and checked against its SHA-256), takes the files the globs select in the recipe's order, joins them into a
/// temporary file and measures it. Memory stays constant whatever the corpus's size; the disk holds the taken files
/// once more for a tarball (its spool) plus the corpus.
/// </summary>
public sealed class CorpusBuilder(IOptions<CorpusOptions> options, IHttpClientFactory http, ILogger<CorpusBuilder> log)
{
    private readonly CorpusOptions _options = options.Value;

    /// <summary>Largest corpus a recipe may build: a Worker holds a corpus's symbols in one array.</summary>
    public const long MaxBytes = 2_000_000_000;

    /// <summary>
    /// What is stored with the corpus (<c>corpora.recipe</c>): the recipe with its source's checksum, and the files.
    /// Written and read with the one JSON contract (<see cref="JsonContract"/>); a null member is left out, as rows
    /// written before the contract was used here have it, so the stored shape (and the API's raw copy) is unchanged.
    /// </summary>
    public sealed record StoredRecipe(
        string Format, string Source,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceSha256,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Include,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Exclude,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seed,
        string Separator,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MaxBytes,
        int Files, int FilesUsed, string FirstFile, string LastFileUsed)
    {
        public CorpusRecipe ToRecipe() => new()
        {
            Source = Source, SourceSha256 = SourceSha256, Include = Include, Exclude = Exclude, Seed = Seed, Separator = Separator, MaxBytes = MaxBytes,
        };

        /// <summary>The JSON stored in <c>corpora.recipe</c>.</summary>
        public string ToJson() => JsonSerializer.Serialize(this, JsonContract.Options);

        /// <summary>Reads a stored <c>corpora.recipe</c>, also one written before the contract was used here.</summary>
        /// <exception cref="JsonException">Not a stored recipe (malformed, a member of the wrong type or one this version does not know).</exception>
        public static StoredRecipe Read(string json) =>
            JsonSerializer.Deserialize<StoredRecipe>(json, JsonContract.Options) ?? throw new JsonException("the stored recipe is null");
    }

    /// <param name="access">Who named the source: an API client may only read under the configured roots (<see cref="SourceRoots"/>).</param>
    /// <exception cref="ValidationException">A field of the recipe is wrong, its source is outside what <paramref name="access"/> allows, missing or unreadable, or it takes no text.</exception>
    public async Task<PreparedCorpus> BuildAsync(CorpusRecipe recipe, string field, SourceAccess access, CancellationToken ct)
    {
        if (recipe.Validate(field) is { Count: > 0 } errors) throw new ValidationException(errors);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var source = recipe.Source!.Trim();
        string? sourceSha = recipe.SourceSha256;
        // Checked before anything is read or fetched; from here on the resolved path is what is read.
        var allowed = SourceRoots.Check(source, _options, access, $"{field}.source");
        var local = CorpusRecipe.IsUrl(allowed) ? await DownloadAsync(allowed, sourceSha!, $"{field}.source", ct) : allowed;

        SourceFiles files;
        if (Directory.Exists(local))
        {
            if (sourceSha is not null) throw new ValidationException($"{field}.sourceSha256", $"{source} is a folder; a checksum applies to a tarball only");
            files = SourceFiles.FromFolder(local, recipe.PathFilter());
        }
        else if (File.Exists(local))
        {
            var actual = await FileSha256Async(local, ct);
            if (sourceSha is not null && actual != sourceSha) throw new ValidationException($"{field}.sourceSha256", $"{source} has the SHA-256 {actual}, not {sourceSha}");
            sourceSha = actual;
            try
            {
                files = await SourceFiles.FromTarballAsync(local, recipe.PathFilter(), TempDir, ct);
            }
            catch (InvalidDataException e)
            {
                throw new ValidationException($"{field}.source", e.Message);
            }
        }
        else
        {
            throw new ValidationException($"{field}.source", $"no such folder or file: {source}");
        }

        using (files)
        {
            if (files.Paths.Count == 0)
                throw new ValidationException($"{field}.include", $"no file of {source} matches the globs ({string.Join(", ", recipe.Include ?? ["**/*"])}{(recipe.Exclude is { Length: > 0 } ex ? $", excluding {string.Join(", ", ex)}" : "")})");
            var order = Order(files.Paths, recipe.Seed);
            Directory.CreateDirectory(TempDir);
            var output = Path.Combine(TempDir, $"corpus-{Guid.NewGuid():N}.txt");
            var used = await JoinAsync(files, order, Encoding.UTF8.GetBytes(recipe.SeparatorOrDefault), recipe.MaxBytes ?? long.MaxValue, output, ct);
            var stored = new StoredRecipe("rnnsweep-corpus-recipe/1", source, sourceSha, recipe.Include, recipe.Exclude, recipe.Seed,
                recipe.SeparatorOrDefault, recipe.MaxBytes, order.Count, used, order[0], order[used - 1]);
            var prepared = await PreparedCorpus.FromTempFileAsync(output, MaxBytes, field, stored.ToJson(), ct);
            log.LogInformation("Corpus built from {Source}: {Files} files matched, {Used} used, {Bytes} bytes, SHA-256 {Sha} in {Seconds:0.0} s",
                source, order.Count, used, prepared.Bytes, prepared.Sha256, clock.Elapsed.TotalSeconds);
            return prepared;
        }
    }

    /// <summary>The recipe's file order: ordinal by path, then shuffled by the seed (SplitMix64 driving Fisher-Yates).</summary>
    public static IReadOnlyList<string> Order(IReadOnlyList<string> sortedPaths, long? seed)
    {
        var order = sortedPaths.ToArray();
        if (seed is not { } s) return order;
        var state = unchecked((ulong)s);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = (int)Below(ref state, (ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    // SplitMix64 (Steele, Lea, Flood 2014), spelled out here so the order never depends on a library's generator.
    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Below(ref ulong state, ulong n)
    {
        var threshold = (0 - n) % n; // rejection keeps every index equally likely
        while (true)
        {
            var r = Next(ref state);
            if (r >= threshold) return r % n;
        }
    }

    /// <summary>Writes the files in order with the separator between them, up to the cap; returns how many files it used.</summary>
    private static async Task<int> JoinAsync(SourceFiles files, IReadOnlyList<string> order, byte[] separator, long cap, string output, CancellationToken ct)
    {
        var used = 0;
        long written = 0;
        await using (var write = new FileStream(output, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
        {
            async Task Put(byte[] bytes, int count)
            {
                var n = (int)Math.Min(count, cap - written);
                if (n <= 0) return;
                await write.WriteAsync(bytes.AsMemory(0, n), ct);
                written += n;
            }
            var buffer = new byte[1 << 20];
            foreach (var path in order)
            {
                if (used > 0) await Put(separator, separator.Length);
                if (written >= cap) break;
                used++;
                await using var read = files.Open(path);
                int n;
                while (written < cap && (n = await read.ReadAsync(buffer, ct)) > 0) await Put(buffer, n);
            }
            await write.FlushAsync(ct);
            if (written >= cap) TrimPartialCharacter(write);
        }
        return Math.Max(used, 1);
    }

    /// <summary>A cap that falls inside a multi-byte UTF-8 character drops that character's first bytes too.</summary>
    private static void TrimPartialCharacter(FileStream write)
    {
        var tail = new byte[Math.Min(4, write.Length)];
        write.Position = write.Length - tail.Length;
        write.ReadExactly(tail);
        for (var back = 1; back <= tail.Length; back++)
        {
            var b = tail[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: look further back for its lead
            var needed = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            if (needed > back) write.SetLength(write.Length - back);
            return;
        }
    }

    private string TempDir => Path.Combine(_options.CacheDir, "tmp");

    private static async Task<string> FileSha256Async(string file, CancellationToken ct)
    {
        await using var read = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(read, ct));
    }

    /// <summary>Downloads a tarball into the cache (kept by checksum, checked before it is used).</summary>
    private async Task<string> DownloadAsync(string url, string sha256, string field, CancellationToken ct)
    {
        var cached = Path.Combine(_options.CacheDir, sha256 + ".tarball");
        if (File.Exists(cached) && await FileSha256Async(cached, ct) == sha256) return cached;
        if (!_options.AllowDownload) throw new ValidationException(field, $"{url} is not in the cache and downloads are off ({CorpusOptions.Section}:AllowDownload)");
        Directory.CreateDirectory(_options.CacheDir);
        var temp = $"{cached}.{Environment.ProcessId}.part";
        log.LogInformation("Downloading {Url}", url);
        try
        {
            using var client = http.CreateClient();
            client.Timeout = TimeSpan.FromHours(1);
            await using (var body = await client.GetStreamAsync(url, ct))
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                await body.CopyToAsync(file, ct);
            }
            var actual = await FileSha256Async(temp, ct);
            if (actual != sha256) throw new ValidationException(field, $"the download from {url} has the SHA-256 {actual}, not {sha256}");
            File.Move(temp, cached, overwrite: true);
            return cached;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ValidationException(field, $"{url} could not be downloaded ({e.Message})");
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
