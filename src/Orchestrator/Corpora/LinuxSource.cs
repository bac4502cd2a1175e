using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Where the kernel tarball for the <c>linux</c> corpora comes from: a tarball named in configuration
/// (<c>Corpora:LinuxTarball</c>, a path or a kernel.org URL with <c>Corpora:LinuxTarballSha256</c>), else the
/// Debian package's file in the data directory, else the one <c>apt-get install linux-source-6.1</c> puts in
/// /usr/src.
/// </summary>
public static class LinuxSource
{
    public const string DebianFileName = "linux-source-6.1.tar.xz";
    public const string DebianPath = "/usr/src/" + DebianFileName;

    /// <summary>
    /// The paper concatenated the kernel's source and header files; here in one seeded order (seed 1), a newline
    /// between files, so <c>linux</c> is the first 6,206,996 bytes of <c>linux-full</c>.
    /// </summary>
    public static readonly CorpusRecipe Recipe = new() { Include = ["*.c", "*.h"], Seed = 1, Separator = "\n" };

    public const string HowToGet =
        "install Debian's kernel source (sudo apt-get install linux-source-6.1, 139 MB, from the Debian archive or a local mirror; " +
        "it puts " + DebianPath + "), or copy that file or any kernel tarball into the data directory as " + DebianFileName +
        ", or set Corpora__LinuxTarball to a kernel.org tarball URL and Corpora__LinuxTarballSha256 to its SHA-256";

    /// <summary>The recipe's source: a path or URL with its checksum.</summary>
    /// <exception cref="ValidationException">No tarball was found; the message says how to get one.</exception>
    public static (string Source, string? Sha256) Find(CorpusOptions options, string? dataDir, string name)
    {
        if (options.LinuxTarball is { Length: > 0 } configured) return (configured, options.LinuxTarballSha256);
        if (dataDir is not null && Path.Combine(dataDir, DebianFileName) is var inData && File.Exists(inData)) return (inData, options.LinuxTarballSha256);
        if (File.Exists(DebianPath)) return (DebianPath, options.LinuxTarballSha256);
        throw new ValidationException("corpus", $"'{name}' is built from the Linux kernel's source, which is not on this machine: {HowToGet}");
    }
}
