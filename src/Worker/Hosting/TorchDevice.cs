using RnnSweep.Worker.Training;
using TorchSharp;

namespace RnnSweep.Worker.Hosting;

/// <summary>The device this Worker trains on, chosen once at start from configuration.</summary>
public sealed class TorchDevice(torch.Device device)
{
    public torch.Device Device { get; } = device;

    public static TorchDevice Select(string setting, int threads)
    {
        if (threads > 0) torch.set_num_threads(threads);
        LstmKernel.UseAten(); // at start, so a libtorch without the switch stops the Worker before any job runs
        var wanted = setting.Trim().ToLowerInvariant();
        if (wanted == "auto") wanted = torch.cuda.is_available() ? "cuda" : "cpu";
        if (wanted == "cpu") return new TorchDevice(torch.CPU);
        if (wanted == "cuda" || wanted.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
            {
                throw new InvalidOperationException(
                    $"Worker:Device is '{setting}' but CUDA is not available: this build carries the CPU libtorch " +
                    "(build with -p:TorchBackend=cuda for TorchSharp-cuda-linux) or the machine has no NVIDIA GPU/driver.");
            }
            return new TorchDevice(torch.device(wanted));
        }
        throw new InvalidOperationException($"Worker:Device must be cpu, cuda, cuda:N or auto, not '{setting}'");
    }

    public override string ToString() => Device.type == DeviceType.CPU ? $"cpu ({torch.get_num_threads()} threads)" : Device.ToString();
}
