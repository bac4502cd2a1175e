using System.Globalization;

namespace RnnSweep.Worker.Bench;

/// <summary><c>--name value</c> pairs of the Worker's <c>bench</c> command (it is driven by <c>rnnsweep bench</c>, not typed by hand).</summary>
public sealed class BenchArgs(string[] args)
{
    public string? Get(string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public long Long(string name, long fallback) => Get(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public string Required(string name) => Get(name) ?? throw new ArgumentException($"bench: --{name} is required");
}
