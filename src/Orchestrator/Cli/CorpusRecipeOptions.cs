using System.CommandLine;
using System.Text.RegularExpressions;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// <c>--include</c>, <c>--exclude</c>, <c>--corpus-seed</c>, <c>--separator</c> and <c>--corpus-max-bytes</c>: the
/// recipe of a corpus built from <c>--corpus FOLDER|TARBALL</c> (<see cref="CorpusRecipe"/>).
/// </summary>
public sealed class CorpusRecipeOptions
{
    private readonly Option<string?> _include = new("--include")
    {
        Description = "With --corpus FOLDER|TARBALL: comma-separated globs of the files to take, e.g. '*.c,*.h' (a glob without '/' matches the file name in any folder; default: every file)",
    };
    private readonly Option<string?> _exclude = new("--exclude") { Description = "With --corpus FOLDER|TARBALL: comma-separated globs of files to leave out" };
    private readonly Option<long?> _seed = new("--corpus-seed") { Description = "With --corpus FOLDER|TARBALL: shuffle the files (sorted by path) with this seed" };
    private readonly Option<string?> _separator = new("--separator") { Description = "With --corpus FOLDER|TARBALL: text between two files (default: a newline; \\n and \\t are understood)" };
    private readonly Option<long?> _maxBytes = new("--corpus-max-bytes") { Description = "With --corpus FOLDER|TARBALL: keep only the first N bytes of the joined files" };

    public void AddTo(Command command)
    {
        command.Options.Add(_include);
        command.Options.Add(_exclude);
        command.Options.Add(_seed);
        command.Options.Add(_separator);
        command.Options.Add(_maxBytes);
    }

    /// <summary>The recipe options on top of the spec's recipe (which <c>--corpus FOLDER|TARBALL</c> starts).</summary>
    /// <exception cref="ValidationException">A recipe option without a folder or tarball to apply it to; a bad separator.</exception>
    public SweepSpec Apply(ParseResult parse, SweepSpec spec)
    {
        var given = new[] { _include.Name, _exclude.Name, _seed.Name, _separator.Name, _maxBytes.Name }
            .Where(n => parse.GetResult(n) is not null).ToList();
        if (given.Count == 0) return spec;
        if (spec.CorpusRecipe is null)
            throw new ValidationException(given[0], "applies to a corpus built from source files: give --corpus a folder or a .tar, .tar.gz or .tar.xz file");
        string? separator = null;
        if (parse.GetValue(_separator) is { } raw)
        {
            try
            {
                separator = Regex.Unescape(raw);
            }
            catch (ArgumentException e)
            {
                throw new ValidationException(_separator.Name, $"'{raw}' has a bad escape ({e.Message})");
            }
        }
        var recipe = spec.CorpusRecipe;
        return spec with
        {
            CorpusRecipe = recipe with
            {
                Include = CorpusRecipe.SplitGlobs(parse.GetValue(_include)) ?? recipe.Include,
                Exclude = CorpusRecipe.SplitGlobs(parse.GetValue(_exclude)) ?? recipe.Exclude,
                Seed = parse.GetValue(_seed) ?? recipe.Seed,
                Separator = separator ?? recipe.Separator,
                MaxBytes = parse.GetValue(_maxBytes) ?? recipe.MaxBytes,
            },
        };
    }

    /// <summary>Whether a path is a source for a recipe: a folder, or a file that starts as a tarball does (or is named like one).</summary>
    public static bool IsSource(string path)
    {
        if (Directory.Exists(path)) return true;
        if (!File.Exists(path)) return false;
        var lower = path.ToLowerInvariant();
        if (lower.EndsWith(".tar") || lower.EndsWith(".tar.gz") || lower.EndsWith(".tgz") || lower.EndsWith(".tar.xz") || lower.EndsWith(".txz")) return true;
        var magic = new byte[6];
        using var file = File.OpenRead(path);
        var n = file.ReadAtLeast(magic, 6, throwOnEndOfStream: false);
        return (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) || (n == 6 && magic[0] == 0xFD && magic[1] == (byte)'7' && magic[2] == (byte)'z');
    }

    /// <summary>A corpus name from a folder or tarball's name: its name without archive extensions, in the corpus-name alphabet.</summary>
    public static string NameOf(string path)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        foreach (var ext in new[] { ".tar.gz", ".tar.xz", ".tgz", ".txz", ".tar" })
        {
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { name = name[..^ext.Length]; break; }
        }
        name = Regex.Replace(name, "[^A-Za-z0-9._-]", "-").TrimStart('.', '-', '_');
        return name.Length == 0 ? "corpus" : name.Length > 100 ? name[..100] : name;
    }
}
