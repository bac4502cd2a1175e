using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Caps oneDNN (libtorch's CPU kernels) at AVX2 unless <c>DNNL_MAX_CPU_ISA</c> is already set.
/// why: on an AMD EPYC with AVX-512 (bf16, vnni) the LSTM's inference path, the one libtorch takes under no_grad,
/// gave outputs different from the same weights with grad on and from stock PyTorch 1.13: a 1x16 LSTM's test loss
/// came out 1.416 nats/char instead of 0.787 (the training loss was 0.77). Capped at AVX2 both paths agree with
/// PyTorch to 1e-6. Every validation and test loss, and so early stopping, goes through that path.
/// The variable must be in the native environment before oneDNN's first primitive, hence setenv at assembly load.
/// </summary>
internal static class OneDnnIsaCap
{
    public const string Variable = "DNNL_MAX_CPU_ISA";

    [ModuleInitializer]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is { Length: > 0 }) return;
        _ = setenv(Variable, "AVX2", 0);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
