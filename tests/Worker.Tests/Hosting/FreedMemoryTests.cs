using RnnSweep.Worker.Bench;
using RnnSweep.Worker.Hosting;
using TorchSharp;

namespace RnnSweep.Worker.Tests.Hosting;

public class FreedMemoryTests
{
    /// <summary>
    /// What a training run leaves behind: many small tensors freed, one still alive above them. glibc keeps the freed
    /// blocks below a live one in its heap, resident; FreedMemory.Return gives them back.
    /// </summary>
    [Fact]
    public void Return_GivesFreedTensorMemoryBelowALiveOneBackToTheSystem()
    {
        const int count = 8_000, elements = 8_192; // 32 kB each, under glibc's mmap threshold: 256 MB from the heap
        var tensors = new List<torch.Tensor>(count);
        for (var i = 0; i < count; i++) tensors.Add(torch.ones(elements)); // ones: the pages are touched
        var before = ProcessMemory.ResidentBytes();
        foreach (var t in tensors.Take(count - 1)) t.Dispose();
        using var last = tensors[^1];
        var freed = ProcessMemory.ResidentBytes();

        FreedMemory.Return();
        var after = ProcessMemory.ResidentBytes();

        Assert.True(freed > before - 64e6, $"glibc gave most of it back on its own ({before / 1e6:0} MB, {freed / 1e6:0} MB after the frees): the test shows nothing");
        Assert.True(freed - after > 200e6, $"resident {before / 1e6:0} MB, {freed / 1e6:0} MB after freeing 256 MB of tensors, {after / 1e6:0} MB after Return");
    }
}
