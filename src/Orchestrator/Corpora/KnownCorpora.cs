namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// A corpus the product knows by name: where to download it and the checksum it must have, or, for a corpus built
/// from source files (<see cref="Recipe"/>, its source found by <see cref="LinuxSource"/>), how to build it.
/// </summary>
public sealed record KnownCorpus(string Name, string FileName, string Url, string Sha256, string Description, CorpusRecipe? Recipe = null);

public static class KnownCorpora
{
    public static readonly IReadOnlyList<KnownCorpus> All =
    [
        new("tinyshakespeare", "tinyshakespeare.txt",
            "https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "char-rnn's Tiny Shakespeare, 1.1 MB, 65 characters"),
        new("warandpeace", "warandpeace.txt",
            "https://raw.githubusercontent.com/MrHereward/machine_learning_sandbox/2d0fdf30f4afbcf01c1b8c7b408e738a0161d613/warpeace_input.txt",
            "b0fc81c399971eaf738c8be89809e6a0d95c151749112b04f06b6af648d8a39f",
            "Karpathy's War and Peace text with LF line endings, 3.2 MB, 82 characters"),
        new("warandpeace-paper", "warandpeace_paper_exact_bytes.txt",
            "https://cs.stanford.edu/people/karpathy/char-rnn/warpeace_input.txt",
            "fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e",
            "War and Peace byte for byte as in the paper (CRLF, BOM): 3,258,246 bytes, 87 distinct bytes"),
        new("linux", LinuxSource.DebianFileName, "", "",
            "the Linux kernel's .c and .h files in a seeded order, cut to the paper's 6,206,996 bytes (from linux-source-6.1)",
            LinuxSource.Recipe with { MaxBytes = 6_206_996 }),
        new("linux-full", LinuxSource.DebianFileName, "", "",
            "every .c and .h file of the Linux kernel in the same seeded order: 1,177,071,693 bytes in 6.1",
            LinuxSource.Recipe),
    ];

    public static KnownCorpus? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}
