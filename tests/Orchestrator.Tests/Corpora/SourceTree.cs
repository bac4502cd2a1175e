using System.Diagnostics;
using System.Text;

namespace RnnSweep.Orchestrator.Tests.Corpora;

/// <summary>
/// A small generated source tree (C files and headers in nested folders, other files beside them, a multi-byte
/// character, an empty file, a symbolic link) and the same tree as .tar, .tar.gz and .tar.xz made by tar(1).
/// </summary>
public sealed class SourceTree : IDisposable
{
    public SourceTree()
    {
        Dir = Directory.CreateTempSubdirectory("rnnsweep-tree-").FullName;
        Root = Path.Combine(Dir, "src");
        var random = new Random(7);
        foreach (var folder in new[] { "", "kernel", "drivers/net", "drivers/usb/core", "include/linux", "Documentation" })
        {
            Directory.CreateDirectory(Path.Combine(Root, folder));
            for (var i = 0; i < 4; i++)
            {
                Write(Path.Combine(folder, $"file{i}.c"), Code(random, folder, i));
                Write(Path.Combine(folder, $"file{i}.h"), $"#ifndef H{i}\n#define H{i} {i}\n#endif /* {folder} */\n");
            }
            Write(Path.Combine(folder, "README.md"), $"# {folder}\nnot code\n");
        }
        Write("drivers/net/empty.c", "");
        Write("kernel/utf8.c", "/* naïve café — Ω */\nint x = 1;\n");
        File.CreateSymbolicLink(Path.Combine(Root, "kernel", "link.c"), Path.Combine(Root, "kernel", "file0.c"));
        Tar = Pack("tree.tar", "-cf");
        TarGz = Pack("tree.tar.gz", "-czf");
        TarXz = Pack("tree.tar.xz", "-cJf");
    }

    public string Dir { get; }
    /// <summary>The tree's root folder.</summary>
    public string Root { get; }
    public string Tar { get; }
    public string TarGz { get; }
    public string TarXz { get; }

    /// <summary>The regular files (not the link), '/'-separated relative paths.</summary>
    public IEnumerable<string> Files => Directory.EnumerateFiles(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
        .Select(f => Path.GetRelativePath(Root, f));

    public byte[] Read(string path) => File.ReadAllBytes(Path.Combine(Root, path));

    private void Write(string path, string text) => File.WriteAllText(Path.Combine(Root, path), text, new UTF8Encoding(false));

    private static string Code(Random random, string folder, int i)
    {
        var sb = new StringBuilder($"/* {folder}/file{i}.c */\n#include \"file{i}.h\"\n\nstatic int f{i}(int a)\n{{\n");
        for (var line = 0; line < random.Next(3, 30); line++) sb.Append($"\tif (a > {random.Next(100)}) {{\n\t\ta += {random.Next(9)}; // step\n\t}}\n");
        return sb.Append("\treturn a;\n}\n").ToString();
    }

    private string Pack(string name, string flags)
    {
        var file = Path.Combine(Dir, name);
        var psi = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (var a in new[] { flags, file, "-C", Root, "." }) psi.ArgumentList.Add(a);
        using var tar = Process.Start(psi)!;
        var error = tar.StandardError.ReadToEnd();
        tar.WaitForExit();
        if (tar.ExitCode != 0) throw new InvalidOperationException($"tar {flags} failed: {error}");
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
