namespace RnnSweep.Orchestrator.Corpora;

/// <summary>Where corpora come from. Bound from the <c>Corpora</c> configuration section.</summary>
public sealed class CorpusOptions
{
    public const string Section = "Corpora";
    /// <summary>Environment variable naming a folder of corpus files (e.g. <c>~/corpora</c>); wins over configuration.</summary>
    public const string DataDirVariable = "RNNSWEEP_DATA_DIR";

    /// <summary>A folder searched first for <c>NAME.txt</c> or a known corpus's file name.</summary>
    public string? DataDir { get; set; }
    /// <summary>Where downloaded corpora are kept, verified by checksum.</summary>
    public string CacheDir { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "rnnsweep", "corpora");
    /// <summary>Largest corpus accepted, in bytes (an upload or a file).</summary>
    public long MaxBytes { get; set; } = 1L << 30;
    public bool AllowDownload { get; set; } = true;
    /// <summary>Bytes per stored chunk of a corpus (<c>corpus_chunks</c>); 16 MiB unless a test wants many chunks.</summary>
    public int ChunkBytes { get; set; } = Shared.Schema.CorpusChunks.ChunkBytes;
    /// <summary>The kernel tarball for the <c>linux</c> corpora: a path, or a URL (then with <see cref="LinuxTarballSha256"/>).</summary>
    public string? LinuxTarball { get; set; }
    /// <summary>Lowercase hex SHA-256 of <see cref="LinuxTarball"/>; checked when given.</summary>
    public string? LinuxTarballSha256 { get; set; }
    /// <summary>
    /// Folders whose trees and tarballs a corpus recipe given over the API or the form may read (besides the data
    /// directory); a source elsewhere, once its symbolic links and <c>..</c> are resolved, is refused. The CLI is not limited.
    /// </summary>
    public string[]? SourceRoots { get; set; }
    /// <summary>URL prefixes a recipe given over the API may download a tarball from; unset: kernel.org's (<see cref="Corpora.SourceRoots.DefaultUrls"/>).</summary>
    public string[]? SourceUrls { get; set; }

    /// <summary>The data directory: <see cref="DataDirVariable"/> if set, else <see cref="DataDir"/>.</summary>
    public string? EffectiveDataDir() => Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } d ? d : DataDir;
}
