using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// The folders and URLs a recipe given over the API may read (<see cref="SourceAccess.ConfiguredRoots"/>). Why: an
/// API client (loopback counts as an administrator) must not make the Orchestrator read any file or folder on its
/// host, nor fetch any URL from it; the CLI's user reads their own files and is not limited.
/// </summary>
public static class SourceRoots
{
    /// <summary>URLs an API recipe may download from when <see cref="CorpusOptions.SourceUrls"/> is not set: kernel.org's tarballs.</summary>
    public static readonly IReadOnlyList<string> DefaultUrls =
        ["https://cdn.kernel.org/pub/linux/kernel/", "https://mirrors.edge.kernel.org/pub/linux/kernel/"];

    /// <summary>The configured roots (<see cref="CorpusOptions.SourceRoots"/> and the data directory), each resolved as <see cref="Resolve"/> does.</summary>
    public static IReadOnlyList<string> Of(CorpusOptions options) =>
        [.. (options.SourceRoots ?? []).Append(options.EffectiveDataDir()).OfType<string>().Where(r => r.Trim().Length > 0)
            .Select(r => Resolve(r.Trim())).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The path a recipe's <paramref name="source"/> reads: the path itself for <see cref="SourceAccess.LocalUser"/>,
    /// else its real path (symbolic links and <c>..</c> resolved) once it is known to lie under a configured root,
    /// so that what is read is what was checked. A URL is returned as given when its prefix is allowed.
    /// </summary>
    /// <exception cref="ValidationException">The source lies outside every root (or the URL outside every allowed prefix); the field is <paramref name="field"/>.</exception>
    public static string Check(string source, CorpusOptions options, SourceAccess access, string field)
    {
        if (access == SourceAccess.LocalUser) return source;
        if (CorpusRecipe.IsUrl(source))
        {
            var urls = options.SourceUrls is { Length: > 0 } configured ? configured : DefaultUrls;
            // Compared as parsed URLs (scheme, host, port, then the path with its dot segments removed), not as text,
            // so https://cdn.kernel.org.example/ or .../kernel/../../ do not pass for a kernel.org prefix.
            if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.UserInfo.Length == 0 && urls.Any(u => Allows(u, uri))) return uri.AbsoluteUri;
            throw new ValidationException(field, $"{source} is not under a URL the Orchestrator downloads corpus sources from " +
                $"({string.Join(", ", urls)}; {CorpusOptions.Section}:SourceUrls): download it into a source root, or build the corpus with the CLI");
        }
        var roots = Of(options);
        if (roots.Count == 0)
        {
            throw new ValidationException(field, $"no folder is open to corpus sources given over the API: set {CorpusOptions.Section}:SourceRoots " +
                $"(or the data directory, {CorpusOptions.DataDirVariable}) to the folders that hold source trees and tarballs, or build the corpus with the CLI");
        }
        if (!Path.IsPathFullyQualified(source))
            throw new ValidationException(field, $"'{source}' is not an absolute path; give a folder or tarball under {string.Join(", ", roots)}");
        string real;
        try
        {
            real = Resolve(source);
        }
        catch (IOException e)
        {
            throw new ValidationException(field, $"'{source}': {e.Message}");
        }
        if (roots.Any(root => IsUnder(real, root))) return real;
        // The same answer whether or not the path exists, so the refusal tells nothing about the host's files.
        throw new ValidationException(field, $"'{source}' is outside the folders the Orchestrator reads corpus sources from " +
            $"({string.Join(", ", roots)}; {CorpusOptions.Section}:SourceRoots): put the tree or tarball under one of them, or build the corpus with the CLI");
    }

    private static bool Allows(string prefix, Uri uri) =>
        Uri.TryCreate(prefix, UriKind.Absolute, out var p) && p.Scheme == uri.Scheme && string.Equals(p.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
        && p.Port == uri.Port && uri.AbsolutePath.StartsWith(p.AbsolutePath, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or inside it (both resolved).</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The real path of <paramref name="path"/> as realpath(3) gives it: absolute, each symbolic link replaced by its
    /// target component by component, and each <c>..</c> applied to the resolved folder before it (as the kernel does,
    /// so <c>root/link/..</c> is the parent of the link's target, not <c>root</c>). Components that do not exist are
    /// kept as written.
    /// </summary>
    /// <exception cref="IOException">More than 40 symbolic links on the way (a loop).</exception>
    public static string Resolve(string path)
    {
        var full = Path.IsPathFullyQualified(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        var root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Components(full[root.Length..]).Reverse());
        var current = root;
        var links = 0;
        while (pending.TryPop(out var name))
        {
            if (name == ".") continue;
            if (name == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Join(current, name);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null; // not a link we can read (or a component that is a file): kept as written
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > 40) throw new IOException("more than 40 symbolic links on the way (a loop?)");
            if (Path.IsPathFullyQualified(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }
            foreach (var part in Components(target).Reverse()) pending.Push(part);
        }
        return current;
    }

    private static IEnumerable<string> Components(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
