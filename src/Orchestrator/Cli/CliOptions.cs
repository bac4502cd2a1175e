using System.CommandLine;
using System.Text;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>Options shared by several commands, so each is spelled and explained once.</summary>
public static class CliOptions
{
    public static Option<string?> Preset(string? defaultValue = null) => new("--preset")
    {
        Description = $"Grid and hyperparameters to start from: {string.Join(", ", Presets.Names)}",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<string?> Corpus() => new("--corpus")
    {
        Description = $"A corpus name ({string.Join(", ", KnownCorpora.All.Select(c => c.Name))}, or NAME.txt in the data directory) or a path to a UTF-8 text file",
    };

    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = $"Folder holding corpus files such as tinyshakespeare.txt (also {CorpusOptions.DataDirVariable})",
    };

    public static Argument<long> SweepId() => new("sweep-id") { Description = "The sweep's id (see 'rnnsweep status')" };

    /// <summary>A corpus option that names an existing file becomes inline text, decoded strictly as UTF-8.</summary>
    public static SweepSpec WithCorpus(SweepSpec spec, string? corpus)
    {
        if (corpus is null) return spec;
        if (!File.Exists(corpus)) return spec with { Corpus = corpus };
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(corpus));
        }
        catch (DecoderFallbackException)
        {
            throw new ValidationException("--corpus", $"{corpus} is not UTF-8 text");
        }
        return spec with { Corpus = Path.GetFileNameWithoutExtension(corpus), CorpusText = text };
    }

    public static void ApplyDataDir(string? dataDir)
    {
        if (dataDir is null) return;
        if (!Directory.Exists(dataDir)) throw new ValidationException("--data-dir", $"no such folder: {dataDir}");
        Environment.SetEnvironmentVariable(CorpusOptions.DataDirVariable, Path.GetFullPath(dataDir));
    }

    /// <summary>Runs a command body, turning bad input into a message naming the field and exit code 2.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ValidationException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine($"error: {error.Field}: {error.Message}");
            return 2;
        }
    }
}
