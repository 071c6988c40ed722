using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The initialisation of the official <c>dense_layer.py</c> (mapping network, AdaGN style layers, discriminators).
/// It asks for "fan_avg" but its fan helper returns <b>fan_out</b> for anything other than fan_in, so the bound is
/// b = sqrt(3·gain / max(1, fan_out)) with gain = init_scale (0 stands for 1e-10). Biases start at zero.
/// The quirk is reproduced on purpose: it sets the scale of the initial weights and so the training dynamics.
/// </summary>
public static class DenseLayerInit
{
    /// <summary>Fills <paramref name="weight"/> with U(-b, b), b = sqrt(3·gain / max(1, fan_out)).</summary>
    public static Tensor KaimingUniformFanOut(Tensor weight, double initScale = 1.0)
    {
        var gain = initScale == 0 ? 1e-10 : initScale;
        var (_, fanOut) = WeightFans.Of(weight);
        var bound = Math.Sqrt(3.0 * gain / Math.Max(1.0, fanOut));
        using (no_grad())
            nn.init.uniform_(weight, -bound, bound);
        return weight;
    }

    /// <summary><c>dense_layer.dense</c>: a linear layer with the fan_out initialisation and zero bias.</summary>
    public static Linear Dense(long inFeatures, long outFeatures, double initScale = 1.0)
    {
        var lin = nn.Linear(inFeatures, outFeatures);
        KaimingUniformFanOut(lin.weight!, initScale);
        using (no_grad()) lin.bias!.zero_();
        return lin;
    }

    /// <summary><c>dense_layer.conv2d</c>: a convolution with the fan_out initialisation and zero bias.</summary>
    public static Conv2d Conv2d(long inChannels, long outChannels, long kernelSize = 3, long stride = 1, long padding = 1,
                                bool bias = true, double initScale = 1.0)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias);
        KaimingUniformFanOut(conv.weight!, initScale);
        if (conv.bias is not null)
            using (no_grad()) conv.bias.zero_();
        return conv;
    }
}
