using System.Diagnostics;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>
/// The native-memory settings of a Worker process this machine starts (<c>rnnsweep sweep</c>, <c>rnnsweep bench</c>),
/// as environment variables read when the process starts. The Dockerfiles set the same.
/// <list type="bullet">
/// <item><c>LD_PRELOAD</c> of tcmalloc (<see cref="TcmallocLibrary"/>, Debian's <c>libtcmalloc-minimal4</c>): libtorch's
/// tensors are then allocated by tcmalloc instead of glibc's malloc. Why: glibc maps blocks over its mmap threshold afresh
/// and unmaps them on free, so every training batch faulted in and zeroed hundreds of MB of new pages, and the
/// process slowed as its heap fragmented (the bare LSTM 3x512 loop fell from 3,198 to 2,555 chars/s across two
/// epochs). With tcmalloc it stayed flat, with half the page faults, and the full loop ran 1.3x faster
/// (docs/benchmarks.md, "Allocator").</item>
/// <item><c>MALLOC_ARENA_MAX=1</c> (glibc, for a Worker without tcmalloc): with the default (8 per core) a Worker that
/// trains run after run grew from 1.2 to 2.6 GB peak resident over four LSTM 2x128 runs, memory freed by libtorch's
/// threads staying in their arenas; with one arena the same runs stayed under 0.97 GB.</item>
/// <item><c>THP_MEM_ALLOC_ENABLE=1</c> (libtorch's CPU allocator): large tensors get 2 MB transparent huge pages
/// (madvise; Debian's default kernel setting allows it): filling a fresh 73 MB tensor took 346 ms with 4 KB pages
/// and 19 ms with huge pages.</item>
/// </list>
/// <see cref="ChoiceVariable"/> chooses the allocator: <c>tcmalloc</c> (the default, used when the library is
/// installed) or <c>glibc</c>. A variable already set in the Worker's environment is kept, <c>LD_PRELOAD</c> included,
/// except that <c>tcmalloc</c> chosen by name is added to a preload that lacks it.
/// The private PostgreSQL server (<see cref="LocalPostgres"/>) gets the same choice (<see cref="ServerSettings"/>).
/// </summary>
public static class WorkerAllocator
{
    public const string ChoiceVariable = Shared.Diagnostics.Tcmalloc.ChoiceVariable;
    public const string Tcmalloc = Shared.Diagnostics.Tcmalloc.Chosen;
    public const string Glibc = Shared.Diagnostics.Tcmalloc.Glibc;
    public const string TcmallocLibrary = Shared.Diagnostics.Tcmalloc.Library;

    // Debian and Ubuntu multiarch directories, then Fedora's and Arch's.
    private static readonly string[] LibraryDirectories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"];

    /// <summary>The installed tcmalloc, or null.</summary>
    public static string? FindTcmalloc() => LibraryDirectories.Select(d => Path.Combine(d, TcmallocLibrary)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The variables a Worker gets, for the allocator named by <paramref name="choice"/> (null or empty: tcmalloc when
    /// <paramref name="findTcmalloc"/> finds it, else glibc).
    /// </summary>
    /// <exception cref="ValidationException"><paramref name="choice"/> is neither <c>tcmalloc</c> nor <c>glibc</c>, or
    /// is <c>tcmalloc</c> and the library is not installed.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Settings(string? choice, Func<string?> findTcmalloc)
    {
        List<KeyValuePair<string, string>> settings = [new("MALLOC_ARENA_MAX", "1"), new("THP_MEM_ALLOC_ENABLE", "1")];
        switch (choice)
        {
            case null or "" or Tcmalloc:
                if (findTcmalloc() is { } library)
                {
                    settings.Add(new("LD_PRELOAD", library));
                    // tcmalloc reports each allocation over 1 GiB on stderr by default; a large corpus's tensors are
                    // expected, not news.
                    settings.Add(new("TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD", "1099511627776"));
                }
                else if (choice == Tcmalloc)
                {
                    throw new ValidationException(ChoiceVariable, $"is {Tcmalloc}, but {TcmallocLibrary} is in none of {string.Join(", ", LibraryDirectories)}: " +
                        $"install Debian's or Ubuntu's libtcmalloc-minimal4 (libtcmalloc-minimal4t64 on Ubuntu 24.04), or set {ChoiceVariable}={Glibc}");
                }
                break;
            case Glibc:
                break;
            default:
                throw new ValidationException(ChoiceVariable, $"must be {Tcmalloc} or {Glibc}, not '{choice}'");
        }
        return settings;
    }

    /// <summary>
    /// The variables of the private PostgreSQL server, set on <c>pg_ctl start</c> (the server and its backends inherit
    /// them): tcmalloc's preload where a Worker gets it, else glibc's tunable that puts its large blocks on transparent
    /// huge pages. Why: an epoch commit of an LSTM 3x512 sends a 65 MB checkpoint, and glibc's malloc maps the backend's
    /// buffers for it afresh (blocks over 32 MB always are) and unmaps them after. On a 2-core virtual machine whose page
    /// faults are slow, a commit cost the server 1.9 s of CPU, taken from training on the same cores; with the tunable
    /// 1.15 s, with tcmalloc, which keeps freed memory for the next commit, 0.7 s (docs/benchmarks.md).
    /// </summary>
    /// <exception cref="ValidationException">See <see cref="Settings"/>.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ServerSettings(string? choice, Func<string?> findTcmalloc) =>
        Settings(choice, findTcmalloc).Where(s => s.Key is "LD_PRELOAD" or "TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD").ToList() is { Count: > 0 } tcmalloc
            ? tcmalloc
            : [new("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")];

    /// <summary>Checks this process's <see cref="ChoiceVariable"/> before anything starts.</summary>
    /// <exception cref="ValidationException">See <see cref="Settings"/>.</exception>
    public static void Validate() => Settings(Environment.GetEnvironmentVariable(ChoiceVariable), FindTcmalloc);

    /// <summary>
    /// Sets the allocator variables for a Worker about to start, each unless <paramref name="psi"/>'s environment (this
    /// process's, plus what the caller set) has it already; the choice is read from that environment too.
    /// </summary>
    /// <exception cref="ValidationException">See <see cref="Settings"/>.</exception>
    /// <param name="server">The private PostgreSQL server's variables (<see cref="ServerSettings"/>) instead of a Worker's.</param>
    public static void Apply(ProcessStartInfo psi, bool server = false)
    {
        var choice = Read(psi, ChoiceVariable);
        foreach (var (key, value) in server ? ServerSettings(choice, FindTcmalloc) : Settings(choice, FindTcmalloc))
        {
            if (Read(psi, key) is not { Length: > 0 } set) psi.Environment[key] = value;
            // tcmalloc asked for by name joins a preload the environment already has, instead of giving way to it.
            else if (key == "LD_PRELOAD" && choice == Tcmalloc && !set.Contains("libtcmalloc", StringComparison.Ordinal)) psi.Environment[key] = $"{value}:{set}";
        }
    }

    /// <summary>What <see cref="Apply"/> gives a Worker started now, as <c>NAME=value</c> pairs (for reports).</summary>
    public static string Describe()
    {
        var psi = new ProcessStartInfo();
        Apply(psi);
        return string.Join(", ", new[] { "LD_PRELOAD", "MALLOC_ARENA_MAX", "THP_MEM_ALLOC_ENABLE" }.Select(k => $"{k}={Read(psi, k) ?? "(unset)"}"));
    }

    private static string? Read(ProcessStartInfo psi, string key) => psi.Environment.TryGetValue(key, out var value) ? value : null;
}
