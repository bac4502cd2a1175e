using System.Security.Cryptography;

namespace RnnSweep.Worker.Stores;

/// <summary>
/// Corpora fetched from the database once per machine and kept on disk by checksum. The file is streamed from the
/// database's chunks and checked against the checksum before it is given its name, so a file under that name is
/// always whole and right.
/// </summary>
public sealed class CorpusCache(string directory)
{
    /// <summary>The path of the corpus's file, fetched first if this machine has not got it.</summary>
    /// <param name="fetch">Writes the corpus's bytes into the given file.</param>
    /// <exception cref="InvalidDataException">The fetched bytes do not have the checksum.</exception>
    public async Task<string> GetAsync(string sha256, Func<string, Task> fetch, CancellationToken ct)
    {
        var file = Path.Combine(directory, sha256 + ".txt");
        if (File.Exists(file)) return file;
        Directory.CreateDirectory(directory);
        var temp = $"{file}.{Environment.ProcessId}.part";
        try
        {
            await fetch(temp);
            string actual;
            await using (var read = File.OpenRead(temp)) actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, ct));
            if (actual != sha256) throw new InvalidDataException($"the corpus fetched for {sha256} has the checksum {actual}");
            File.Move(temp, file, overwrite: true); // atomic: another worker never reads half a file
        }
        finally
        {
            File.Delete(temp);
        }
        return file;
    }
}
