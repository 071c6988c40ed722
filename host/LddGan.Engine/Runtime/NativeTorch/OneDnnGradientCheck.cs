using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// Guards CPU training against a libtorch 2.10 defect: on some AVX-512 CPUs (measured on an AMD EPYC with AVX-512
/// BF16), oneDNN's backward of a stride-1 convolution whose output channel count is not a multiple of 16 (the last
/// convolution of every generator here, 1–4 channels), and of a strided one with more than 16 input channels that are
/// not a multiple of 32, returns wrong input gradients or NaN, while the forward pass and the weight gradients are
/// right. The check computes such gradients in float32 and float64. When they disagree, every such
/// <see cref="Conv2d"/> of the trained networks is computed with its channels aligned
/// (<see cref="ChannelAlignedConvolution"/>: same output, correct gradients, oneDNN's speed kept); if even the aligned form is
/// wrong, oneDNN is switched off for the process (what <c>torch.backends.mkldnn.enabled = False</c> does in PyTorch):
/// correct, about 4 times slower (measured: 1.29 s against 0.34 s per DDGAN Fashion-MNIST step). On other CPUs nothing changes.
/// </summary>
public static class OneDnnGradientCheck
{
    /// <summary><c>on</c>: keep oneDNN without checking; <c>off</c>: switch it off without checking; unset: check.</summary>
    public const string Variable = "LDDGAN_ONEDNN";

    /// <summary>
    /// Checks (on the CPU) and makes the input gradients of <paramref name="trained"/> right when oneDNN's are wrong;
    /// returns a note saying what it did, or null when nothing was needed.
    /// </summary>
    public static string? EnsureCorrectGradients(Device device, params nn.Module[] trained)
    {
        if (device.type != TorchSharp.DeviceType.CPU) return null;
        string mode = Environment.GetEnvironmentVariable(Variable) ?? "";
        if (mode == "on" || LibTorchContext.Open() is not { OneDnn: true } context) return null;
        // The float64 reference convolutions would try NNPACK, which logs a warning per call on CPUs it does not support.
        bool? nnpack = context.Nnpack;
        context.Nnpack = false;
        double error = mode == "off" ? double.NaN : InputGradientError(aligned: false);
        double alignedError = error < 1e-3 ? 0 : mode == "off" ? double.NaN : InputGradientError(aligned: true);
        context.Nnpack = nnpack;
        if (error < 1e-3) return null;
        string found = double.IsPositiveInfinity(error) ? "NaN" : $"a relative error of {error:G2}";
        string defect = $"this CPU's oneDNN convolution gradients are wrong ({found} on small test convolutions, " +
                        "a libtorch 2.10 defect on some AVX-512 CPUs)";
        if (alignedError < 1e-3)
        {
            int guarded = trained.Sum(AlignConvolutions);
            return $"{defect}; the trained networks' {guarded} convolution(s) with unaligned channel counts are computed with " +
                   $"their channels padded (outputs to a multiple of 16, inputs to 32; same output, correct gradients; " +
                   $"{Variable}=off switches oneDNN off instead).";
        }
        context.OneDnn = false;
        // Without oneDNN, libtorch tries NNPACK next, which such CPUs lack ("Could not initialize NNPACK! Reason:
        // Unsupported hardware", logged at every convolution): switch it off too.
        context.Nnpack = false;
        if (mode == "off") return $"oneDNN switched off ({Variable}=off).";
        return $"{defect}; oneDNN is switched off for this process: correct gradients, slower convolutions " +
               $"({Variable}=on keeps it).";
    }

    /// <summary>
    /// Makes every zero-padded <see cref="Conv2d"/> under <paramref name="root"/> that <see cref="ChannelAlignedConvolution"/>
    /// applies to compute through it (a forward hook that replaces its output: the module's own convolution still runs
    /// and is discarded, a small cost in these few narrow layers, since TorchSharp's hooks cannot skip a forward);
    /// returns how many. Parameters, their names and the output are unchanged.
    /// </summary>
    public static int AlignConvolutions(nn.Module root)
    {
        int count = 0;
        foreach (var (_, module) in root.named_modules())
        {
            // Convolutions with "same"/"valid" padding or a non-zero padding mode are left alone (none here has them).
            if (module is not Conv2d { padding: { } padding } conv || conv.padding_mode != TorchSharp.PaddingModes.Zeros
                || !ChannelAlignedConvolution.Applies(conv.in_channels, conv.out_channels, conv.groups))
                continue;
            conv.register_forward_hook((_, input, _) => ChannelAlignedConvolution.Conv2d(
                input, conv.weight!, conv.bias, conv.stride, padding, conv.dilation, conv.groups));
            count++;
        }
        return count;
    }

    /// <summary>
    /// The largest relative difference of float32 and float64 input gradients of small convolutions of the two kinds
    /// the defect hits (16→1 channels 3×3 stride 1; 48→32 channels 4×4 stride 2), at a few shapes, with and without a
    /// weight gradient (the defect shows for some shapes and not others), computed plainly or channel-aligned.
    /// </summary>
    private static double InputGradientError(bool aligned)
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var generator = new Generator(7);
        double worst = 0;
        foreach (var (inChannels, outChannels, kernel, stride) in new (long, long, long, long)[] { (16, 1, 3, 1), (48, 32, 4, 2) })
            foreach (var (batch, side) in new[] { (4, 8), (32, 32), (8, 16) })
                foreach (bool weightGradient in new[] { false, true })
                {
                    var x = randn([batch, inChannels, side, side], generator: generator);
                    var w = randn([outChannels, inChannels, kernel, kernel], generator: generator) * 0.1;
                    var dy = randn([batch, outChannels, side / stride, side / stride], generator: generator);
                    Tensor Gradient(ScalarType type)
                    {
                        var input = x.to(type).requires_grad_(true);
                        var weight = w.to(type).requires_grad_(weightGradient);
                        var y = aligned
                            ? ChannelAlignedConvolution.Conv2d(input, weight, null, [stride, stride], [1, 1], [1, 1], 1)
                            : nn.functional.conv2d(input, weight, strides: [stride, stride], padding: [1, 1]);
                        return autograd.grad([(y.narrow(2, 0, side / stride).narrow(3, 0, side / stride) * dy.to(type)).sum()], [input])[0]
                            .to(ScalarType.Float64);
                    }
                    var exact = Gradient(ScalarType.Float64);
                    double error = ((Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max()).item<double>();
                    worst = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(worst, error);
                }
        return worst;
    }
}
