using System.Runtime.InteropServices;
using TorchSharp;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Makes libtorch run the fused LSTM with ATen's own kernel (matmuls and pointwise ops) instead of oneDNN's.
/// Why: libtorch 2.10 sends every CPU float32 LSTM to oneDNN (GRU and RNN never go there), and oneDNN's AVX-512
/// LSTM kernel gives wrong results on at least AMD Zen 4: h differs from a float64 evaluation of PyTorch's own
/// equations by up to 0.14 and c by 0.2 after 40 steps (0.07 already at the first step), with 1 or 2 threads.
/// With oneDNN limited to AVX2, or oneDNN switched off, or in float64 (never oneDNN) the module agrees with the
/// equations to 1e-7. AVX2-only CPUs were not affected, so results depended on the machine; ATen's path is
/// correct on every CPU. Passes without autograd (evaluation, sampling, analysis) were the ones affected; the
/// training forward pass with autograd agreed with the equations. docs/lstm-kernel.md has the figures.
/// TorchSharp has no switch for it, so this calls libtorch's at::globalContext().setUserEnabledMkldnn(false),
/// the setting behind Python's torch.backends.mkldnn.enabled, by its C++ (Itanium ABI) symbol name.
/// </summary>
public static class LstmKernel
{
    private static readonly Lazy<bool> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Switches oneDNN off for this process, once; later calls do nothing. Throws
    /// <see cref="InvalidOperationException"/> when libtorch lacks the setting or does not take it.
    /// </summary>
    public static void UseAten() => _ = Applied.Value;

    /// <summary>Whether libtorch may currently send a CPU LSTM to oneDNN.</summary>
    public static bool OneDnnEnabled
    {
        get
        {
            torch.InitializeDeviceType(DeviceType.CPU); // TorchSharp loads libtorch first, so the import finds it
            return UserEnabledMkldnn(GlobalContext()) != 0;
        }
    }

    private static bool Apply()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            var context = GlobalContext();
            SetUserEnabledMkldnn(context, 0);
            if (UserEnabledMkldnn(context) != 0) throw new InvalidOperationException("libtorch kept oneDNN enabled");
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                "could not switch libtorch's oneDNN LSTM kernel off (at::Context::setUserEnabledMkldnn in libtorch_cpu); " +
                "the fused LSTM would compute wrong values on AVX-512 CPUs. See docs/lstm-kernel.md. " + e.Message, e);
        }
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, byte enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    private static extern byte UserEnabledMkldnn(IntPtr context);
}
