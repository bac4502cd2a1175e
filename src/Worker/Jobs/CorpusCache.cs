namespace RnnSweep.Worker.Jobs;

/// <summary>Corpora fetched from the database once per machine and kept on disk by checksum.</summary>
public sealed class CorpusCache(string directory)
{
    public async Task<byte[]> GetAsync(string sha256, Func<Task<byte[]>> fetch)
    {
        var file = Path.Combine(directory, sha256 + ".txt");
        if (File.Exists(file)) return await File.ReadAllBytesAsync(file);
        var content = await fetch();
        Directory.CreateDirectory(directory);
        var temp = $"{file}.{Environment.ProcessId}.part";
        await File.WriteAllBytesAsync(temp, content);
        File.Move(temp, file, overwrite: true); // atomic: another worker never reads half a file
        return content;
    }
}
