using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Finds the bytes of a named corpus: the data directory first, then the download cache, then the
/// corpus's public URL (checked against its SHA-256 before it is used or cached).
/// </summary>
public sealed class CorpusSource(IOptions<CorpusOptions> options, IHttpClientFactory http, CorpusBuilder builder, ILogger<CorpusSource> log)
{
    private readonly CorpusOptions _options = options.Value;

    public string? DataDir => _options.EffectiveDataDir();

    /// <summary>
    /// The named corpus checked and ready to store: a data-directory file or a download as <see cref="LoadAsync"/>
    /// finds it, or, for a corpus built from source files (<c>linux</c>, <c>linux-full</c>), built from its recipe.
    /// </summary>
    public async Task<PreparedCorpus> PrepareAsync(string name, string field, CancellationToken ct)
    {
        if (KnownCorpora.Find(name) is { Recipe: { } recipe })
        {
            var (source, sha) = LinuxSource.Find(_options, DataDir, name);
            // The source comes from this machine's configuration (or /usr/src), not from the request: not limited to the roots.
            return await builder.BuildAsync(recipe with { Source = source, SourceSha256 = sha }, field, SourceAccess.LocalUser, ct);
        }
        return PreparedCorpus.FromBytes(await LoadAsync(name, ct), MaxBytes, field);
    }

    public async Task<byte[]> LoadAsync(string name, CancellationToken ct)
    {
        var known = KnownCorpora.Find(name);
        if (known?.Recipe is not null) throw new ValidationException("corpus", $"'{name}' is built from source files, not read whole");
        if (DataDir is { } dir)
        {
            foreach (var file in CandidateFiles(dir, name, known))
            {
                if (!File.Exists(file)) continue;
                var bytes = await ReadLimitedAsync(file, ct);
                if (known is not null && Sha256(bytes) != known.Sha256)
                {
                    throw new ValidationException("corpus", $"{file} does not have the checksum of '{known.Name}' ({known.Sha256})");
                }
                log.LogInformation("Corpus {Corpus} read from {File}", name, file);
                return bytes;
            }
        }
        if (known is null) throw new ValidationException("corpus", UnknownMessage(name));

        var cached = Path.Combine(_options.CacheDir, known.FileName);
        if (File.Exists(cached))
        {
            var bytes = await File.ReadAllBytesAsync(cached, ct);
            if (Sha256(bytes) == known.Sha256) return bytes;
        }
        if (!_options.AllowDownload)
        {
            throw new ValidationException("corpus", $"'{name}' is not in the data directory and downloads are off; set {CorpusOptions.DataDirVariable}");
        }
        log.LogInformation("Downloading corpus {Corpus} from {Url}", name, known.Url);
        byte[] downloaded;
        try
        {
            using var client = http.CreateClient();
            client.Timeout = TimeSpan.FromMinutes(5);
            downloaded = await client.GetByteArrayAsync(known.Url, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new ValidationException("corpus", $"'{name}' could not be downloaded from {known.Url} ({e.Message}); " +
                $"put {known.FileName} in a folder and set {CorpusOptions.DataDirVariable} to it (or give the folder to 'rnnsweep sweep --data-dir')");
        }
        if (Sha256(downloaded) != known.Sha256)
        {
            throw new ValidationException("corpus", $"the download of '{name}' from {known.Url} does not have the expected checksum {known.Sha256}");
        }
        Directory.CreateDirectory(_options.CacheDir);
        var temp = cached + ".part";
        await File.WriteAllBytesAsync(temp, downloaded, ct);
        File.Move(temp, cached, overwrite: true);
        return downloaded;
    }

    /// <summary>Whether <see cref="LoadAsync"/> has somewhere to look for the name: a known corpus or a data-directory file.</summary>
    public bool CanLoad(string name) =>
        KnownCorpora.Find(name) is not null || (DataDir is { } dir && CandidateFiles(dir, name, null).Any(File.Exists));

    public string UnknownMessage(string name) =>
        $"unknown corpus '{name}': not a known corpus ({string.Join(", ", KnownCorpora.All.Select(c => c.Name))})" +
        (DataDir is null ? $" and no data directory is set ({CorpusOptions.DataDirVariable})" : $" and no {name}.txt in {DataDir}");

    /// <summary>Reads a local file given by a person (CLI), with the same size limit as uploads.</summary>
    public async Task<byte[]> ReadLimitedAsync(string file, CancellationToken ct)
    {
        var info = new FileInfo(file);
        if (!info.Exists) throw new ValidationException("corpus", $"file not found: {file}");
        if (info.Length > _options.MaxBytes) throw new ValidationException("corpus", $"{file} has {info.Length} bytes; at most {_options.MaxBytes} are accepted");
        return await File.ReadAllBytesAsync(file, ct);
    }

    public long MaxBytes => _options.MaxBytes;

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static IEnumerable<string> CandidateFiles(string dir, string name, KnownCorpus? known)
    {
        if (known is { Recipe: null }) yield return Path.Combine(dir, known.FileName);
        // Only plain names: a corpus name never reaches outside the data directory.
        if (name.IndexOfAny(['/', '\\']) < 0 && !name.StartsWith('.'))
        {
            yield return Path.Combine(dir, name + ".txt");
            yield return Path.Combine(dir, name);
        }
    }
}
