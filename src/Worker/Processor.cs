using System.Globalization;

namespace RnnSweep.Worker;

/// <summary>
/// The processor this process runs on, from /proc/cpuinfo, and its nominal float32 peak where its identity says
/// how many FLOP a core retires per cycle. Why from the identity: the machines this project runs on change, and a
/// peak copied from another machine is no ceiling for this one (an AMD family 25 core does half the FMA work per
/// cycle of a family 26 server core).
/// </summary>
/// <param name="Name">"model name", e.g. "AMD EPYC".</param>
/// <param name="Vendor">"vendor_id", e.g. "AuthenticAMD".</param>
/// <param name="Family">"cpu family" (decimal), e.g. 25 for Zen 3 / Zen 4.</param>
/// <param name="Model">"model" (decimal).</param>
/// <param name="Megahertz">"cpu MHz" of the first core: the clock the kernel reports (turbo may run above it).</param>
/// <param name="Cores">Logical processors this process may use.</param>
public sealed record Processor(string Name, string Vendor, int Family, int Model, double Megahertz, int Cores, IReadOnlySet<string> Flags)
{
    /// <summary>Microarchitecture and float32 FLOP per cycle per core (FMA = 2 FLOP), or null where unknown.</summary>
    public (string Core, int FlopsPerCycle)? Nominal => (Vendor, Family) switch
    {
        // AMD: family 23 Zen/Zen+ (2x128-bit FMA), then Zen 2 (2x256); 25 Zen 3 and Zen 4 (Zen 4's AVX-512 runs on
        // 256-bit units: 2x256-bit FMA either way); 26 Zen 5: 2x512-bit FMA on server and desktop parts, 256-bit on mobile.
        ("AuthenticAMD", 23) => Model < 0x30 ? ("Zen / Zen+", 16) : ("Zen 2", 32),
        ("AuthenticAMD", 25) => (Model is >= 0x10 and < 0x20 or >= 0x60 and < 0x80 or >= 0xA0 and < 0xB0 ? "Zen 4" : "Zen 3", 32),
        ("AuthenticAMD", 26) => Model is < 0x20 or (>= 0x40 and < 0x50) ? ("Zen 5 (512-bit FMA)", 64) : ("Zen 5 (256-bit FMA)", 32),
        // Intel cores with AVX2 and FMA (Haswell on) do 2x256-bit FMA; AVX-512 parts differ in their FMA unit count.
        ("GenuineIntel", 6) when Flags.Contains("fma") && !Flags.Contains("avx512f") => ("Intel AVX2 + FMA", 32),
        _ => null,
    };

    /// <summary>
    /// Whether the cores multiply bfloat16 natively (x86: AVX512-BF16 or AMX-BF16; ARM: the BF16 extension). Without
    /// it libtorch converts every bfloat16 product on the fly: on an AMD Zen 3 a 512 x 512 bfloat16 product ran at
    /// 1.2-1.3 GFLOP/s against 139-147 for float32 2048 x 2048, so <c>precision: bfloat16</c> only pays where this is
    /// true. Where the flags cannot be read (no /proc/cpuinfo), true: nothing is known to be missing.
    /// </summary>
    public bool NativeBFloat16 => Flags.Count == 0 || Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16") || Flags.Contains("bf16");

    /// <summary>The bench's note for a bfloat16 figure it leaves out on a processor without native bfloat16.</summary>
    public string NoBFloat16 => $"{Description} has no native bfloat16 products (no avx512_bf16, amx_bf16 or bf16 in its flags), " +
        "where libtorch emulates them at a small fraction of the float32 rate";

    /// <summary>Nominal float32 FLOP/s: cores x FLOP/cycle x the reported clock; null where the core is unknown.</summary>
    public double? PeakFlops => Nominal is { } n && Megahertz > 0 ? Cores * n.FlopsPerCycle * Megahertz * 1e6 : null;

    /// <summary>"AMD EPYC (AuthenticAMD family 26 model 2, Zen 5 (512-bit FMA), 2 cores at 2,096 MHz)".</summary>
    public string Description =>
        $"{Name} ({Vendor} family {Family} model {Model}{(Nominal is { } n ? $", {n.Core}" : ", core not in the table")}, {Cores} cores at {Megahertz:N0} MHz)";

    /// <summary>How the nominal peak was found, for the bench's notes.</summary>
    public string PeakHow => Nominal is { } n
        ? $"{Cores} cores x {n.FlopsPerCycle} FLOP/cycle ({n.Core}, float32 FMA) x {Megahertz:N0} MHz = {PeakFlops / 1e9:0.0} GFLOP/s"
        : "no nominal peak: this processor's FLOP per cycle is not in the table";

    public static Processor Read()
    {
        var fields = new Dictionary<string, string>();
        const string path = "/proc/cpuinfo";
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0) break; // the first processor is enough
                var colon = line.IndexOf(':');
                if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        int Int(string key) => fields.TryGetValue(key, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var i) ? i : -1;
        var mhz = fields.TryGetValue("cpu MHz", out var m) && double.TryParse(m, CultureInfo.InvariantCulture, out var d) ? d : 0;
        // x86 lists its extensions as "flags", ARM as "Features".
        var flags = (fields.TryGetValue("flags", out var f) || fields.TryGetValue("Features", out f)) ? f.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() : [];
        return new Processor(fields.GetValueOrDefault("model name", "unknown"), fields.GetValueOrDefault("vendor_id", "unknown"), Int("cpu family"), Int("model"),
            mhz, Environment.ProcessorCount, flags);
    }
}
