using System.Runtime.InteropServices;
using TorchSharp;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Makes libtorch run the fused LSTM with ATen's own kernel (matmuls and pointwise ops) instead of oneDNN's, except
/// inside <see cref="OneDnnOn"/> scopes (passes <see cref="TrainingKernel"/> checked, and bfloat16 steps).
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

    /// <summary>
    /// Switches oneDNN on until the returned scope is disposed, for a training step's forward and backward pass (a
    /// bfloat16 copy's, or a float32 LSTM's where <see cref="TrainingKernel"/> found oneDNN agreeing with ATen on its
    /// shape), a float32 validation batch it checked likewise, or an epoch's validation pass on the bfloat16 copy. Why: with oneDNN off, libtorch's CPU bfloat16 products
    /// fall back to a reference path (about 4x slower than float32 on a Zen 5 with AVX512-BF16), and its float32 LSTM
    /// training runs on MKL's products, which take their AVX2 path on AMD processors (oneDNN's LSTM trained 3x512 twice as
    /// fast on a Zen 5). oneDNN's bfloat16 LSTM agrees with the LSTM equations in train and eval mode
    /// (BFloat16LstmTests); its float32 LSTM does not in eval mode at some shapes, so no float32 LSTM pass may run inside
    /// the scope unless TrainingKernel checked its shape. The switch is process-global: a Worker runs one job at a time, and the scope covers only one batch's
    /// forward and backward pass or one bfloat16 validation pass. Throws <see cref="InvalidOperationException"/> when it
    /// is already on (nested or concurrent use).
    /// </summary>
    public static IDisposable OneDnnOn()
    {
        UseAten();
        if (OneDnnEnabled) throw new InvalidOperationException("oneDNN is already on: training steps and bfloat16 validation passes must not nest or run concurrently");
        SetOneDnn(true);
        return new OffAgain();
    }

    private sealed class OffAgain : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            SetOneDnn(false);
        }
    }

    /// <summary>
    /// Sets libtorch's process-wide oneDNN switch (the bench's measurements and <see cref="OneDnnOn"/>);
    /// callers that turn it on must turn it off again before any float32 LSTM runs.
    /// </summary>
    internal static void SetOneDnn(bool enabled)
    {
        UseAten();
        var context = GlobalContext();
        SetUserEnabledMkldnn(context, enabled ? (byte)1 : (byte)0);
        if ((UserEnabledMkldnn(context) != 0) != enabled) throw new InvalidOperationException($"libtorch did not take oneDNN {(enabled ? "on" : "off")}");
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
