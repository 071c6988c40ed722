using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// Guards CPU training against a libtorch 2.10 defect: on some AVX-512 CPUs (measured on an AMD EPYC with AVX-512
/// BF16), oneDNN's convolution backward for layers with few output channels (the last convolution of every generator
/// here, 1–3 channels) returns wrong input gradients or NaN, while the forward pass is right. The check computes one
/// such gradient in float32 and float64; when they disagree, oneDNN is switched off for the process
/// (<c>at::Context::setUserEnabledMkldnn(false)</c>, what <c>torch.backends.mkldnn.enabled = False</c> does in
/// PyTorch): libtorch's own convolutions are then used, correct but slower. On other CPUs nothing changes.
/// </summary>
public static class OneDnnGradientCheck
{
    private delegate IntPtr GlobalContext();
    private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool value);
    [return: MarshalAs(UnmanagedType.U1)] private delegate bool GetFlag(IntPtr context);

    /// <summary><c>on</c>: keep oneDNN without checking; <c>off</c>: switch it off without checking; unset: check.</summary>
    public const string Variable = "LDDGAN_ONEDNN";

    /// <summary>Checks (on the CPU) and switches oneDNN off if its gradients are wrong; returns a note when it did.</summary>
    public static string? EnsureCorrectGradients(Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU || !OperatingSystem.IsLinux()) return null;
        string mode = Environment.GetEnvironmentVariable(Variable) ?? "";
        if (mode == "on") return null;
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
            || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var globalContext)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb", out var setEnabled)
            || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledMkldnnEv", out var getEnabled))
            return null;
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(globalContext)();
        if (!Marshal.GetDelegateForFunctionPointer<GetFlag>(getEnabled)(context)) return null;   // already off
        double error = mode == "off" ? double.NaN : InputGradientError();
        if (error < 1e-3) return null;
        Marshal.GetDelegateForFunctionPointer<SetFlag>(setEnabled)(context, false);
        // Without oneDNN, libtorch tries NNPACK next, which such CPUs lack ("Could not initialize NNPACK! Reason:
        // Unsupported hardware", logged at every convolution): switch it off too.
        if (NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setNnpack))
            Marshal.GetDelegateForFunctionPointer<SetFlag>(setNnpack)(context, false);
        if (mode == "off") return $"oneDNN switched off ({Variable}=off).";
        string found = double.IsPositiveInfinity(error) ? "NaN" : $"a relative error of {error:G2}";
        return $"this CPU's oneDNN convolution gradients are wrong ({found} on a 16→1-channel 3×3 convolution, a libtorch " +
               $"2.10 defect on some AVX-512 CPUs); oneDNN is switched off for this process: correct gradients, slower " +
               $"convolutions ({Variable}=on keeps it).";
    }

    /// <summary>Relative difference of a float32 and a float64 input gradient of one small convolution.</summary>
    private static double InputGradientError()
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var generator = new Generator(7);
        var x = randn([4, 16, 8, 8], generator: generator);
        var w = randn([1, 16, 3, 3], generator: generator) * 0.1;
        var dy = randn([4, 1, 8, 8], generator: generator);
        Tensor Gradient(ScalarType type)
        {
            var input = x.to(type).requires_grad_(true);
            var y = nn.functional.conv2d(input, w.to(type), padding: [1, 1]);
            return autograd.grad([(y * dy.to(type)).sum()], [input])[0].to(ScalarType.Float64);
        }
        var exact = Gradient(ScalarType.Float64);
        var error = (Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max();
        double value = error.item<double>();
        return double.IsNaN(value) ? double.PositiveInfinity : value;
    }
}
