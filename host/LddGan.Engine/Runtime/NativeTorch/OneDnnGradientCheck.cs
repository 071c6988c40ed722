using static TorchSharp.torch;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// Guards CPU training against a libtorch 2.10 defect: on some AVX-512 CPUs (measured on an AMD EPYC with AVX-512
/// BF16), oneDNN's convolution backward for layers with few output channels (the last convolution of every generator
/// here, 1–3 channels) returns wrong input gradients or NaN, while the forward pass is right. The check computes one
/// such gradient in float32 and float64; when they disagree, oneDNN is switched off for the process (what
/// <c>torch.backends.mkldnn.enabled = False</c> does in PyTorch): libtorch's own convolutions are then used, correct
/// but slower. On other CPUs nothing changes.
/// </summary>
public static class OneDnnGradientCheck
{
    /// <summary><c>on</c>: keep oneDNN without checking; <c>off</c>: switch it off without checking; unset: check.</summary>
    public const string Variable = "LDDGAN_ONEDNN";

    /// <summary>Checks (on the CPU) and switches oneDNN off if its gradients are wrong; returns a note when it did.</summary>
    public static string? EnsureCorrectGradients(Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU) return null;
        string mode = Environment.GetEnvironmentVariable(Variable) ?? "";
        if (mode == "on" || LibTorchContext.Open() is not { OneDnn: true } context) return null;
        // The float64 reference convolutions would try NNPACK, which logs a warning per call on CPUs it does not support.
        bool? nnpack = context.Nnpack;
        context.Nnpack = false;
        double error = mode == "off" ? double.NaN : InputGradientError();
        context.Nnpack = nnpack;
        if (error < 1e-3) return null;
        context.OneDnn = false;
        // Without oneDNN, libtorch tries NNPACK next, which such CPUs lack ("Could not initialize NNPACK! Reason:
        // Unsupported hardware", logged at every convolution): switch it off too.
        context.Nnpack = false;
        if (mode == "off") return $"oneDNN switched off ({Variable}=off).";
        string found = double.IsPositiveInfinity(error) ? "NaN" : $"a relative error of {error:G2}";
        return $"this CPU's oneDNN convolution gradients are wrong ({found} on a 16→1-channel 3×3 convolution, a libtorch " +
               $"2.10 defect on some AVX-512 CPUs); oneDNN is switched off for this process: correct gradients, slower " +
               $"convolutions ({Variable}=on keeps it).";
    }

    /// <summary>
    /// The largest relative difference of float32 and float64 input gradients of small 16→1-channel convolutions (a
    /// few shapes, with and without a weight gradient: the defect shows for some shapes and not others).
    /// </summary>
    private static double InputGradientError()
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var generator = new Generator(7);
        double worst = 0;
        foreach (var (batch, side) in new[] { (4, 8), (32, 32), (8, 16) })
            foreach (bool weightGradient in new[] { false, true })
            {
                var x = randn([batch, 16, side, side], generator: generator);
                var w = randn([1, 16, 3, 3], generator: generator) * 0.1;
                var dy = randn([batch, 1, side, side], generator: generator);
                Tensor Gradient(ScalarType type)
                {
                    var input = x.to(type).requires_grad_(true);
                    var weight = w.to(type).requires_grad_(weightGradient);
                    var y = nn.functional.conv2d(input, weight, padding: [1, 1]);
                    return autograd.grad([(y * dy.to(type)).sum()], [input])[0].to(ScalarType.Float64);
                }
                var exact = Gradient(ScalarType.Float64);
                double error = ((Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max()).item<double>();
                worst = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(worst, error);
            }
        return worst;
    }
}
