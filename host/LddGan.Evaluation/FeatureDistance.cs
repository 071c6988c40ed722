using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// A perceptual distance in the style of LPIPS on the project's own <see cref="FeatureNet"/>: for each of its three stages,
/// the activations are unit-normalised over channels, and the squared difference is averaged over positions; the three
/// stages are summed with equal weights (LPIPS learns per-channel weights; there is no data here to learn them from).
/// The network is frozen.
/// </summary>
public sealed class FeatureDistance : PerceptualLoss
{
    private readonly FeatureNet _net;

    public FeatureDistance(FeatureNet net) : base(nameof(FeatureDistance))
    {
        _net = net;
        _net.eval();
        foreach (var p in _net.parameters()) p.requires_grad = false;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var fx = _net.Stages(x);
        var fy = _net.Stages(y);
        Tensor total = zeros([x.shape[0]], dtype: x.dtype, device: x.device);
        for (var i = 0; i < fx.Length; i++)
        {
            var a = fx[i] / (fx[i].square().sum(1, keepdim: true) + 1e-10).sqrt();
            var b = fy[i] / (fy[i].square().sum(1, keepdim: true) + 1e-10).sqrt();
            total = total + (a - b).square().sum(1).mean([1, 2]);
        }
        return total.MoveToOuterDisposeScope();
    }
}

/// <summary>Options of the <c>feature-distance</c> perceptual loss.</summary>
public sealed record FeatureDistanceOptions : IValidatableOptions
{
    /// <summary>Weights of the feature network (TorchSharp format), written by recipes/fashion-mnist-feature-net.csx.</summary>
    public string Weights { get; init; } = "recipes/pretrained/fashion-mnist-feature-net.bin";

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Weights)) yield return "weights must name the feature network's weight file";
    }
}

[Component(ComponentKind.PerceptualLoss, "feature-distance",
    Description = "LPIPS-style distance on the project's own Fashion-MNIST feature network (unit-normalised activations of 3 stages).")]
public sealed class FeatureDistanceFactory : ComponentFactory<FeatureDistanceOptions, FeatureDistance>
{
    public override FeatureDistance Create(FeatureDistanceOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string path = Path.GetFullPath(options.Weights);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"[perceptual] weights: no feature network at {path}. It ships in the repository (run from its root), or train it with " +
                "`lddgan run recipes/fashion-mnist-feature-net.csx`.", path);
        if (context.DataShape.IsVector || context.DataShape.Height != 32 || context.DataShape.Width != 32)
            throw new ArgumentException($"feature-distance needs 32x32 images, got {context.DataShape}");
        var net = new FeatureNet(context.DataShape.Channels);
        try { net.load(path); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or InvalidOperationException)
        {
            throw new ArgumentException($"[perceptual] weights: {path} does not hold a feature network for {context.DataShape.Channels}-channel images ({e.Message})", e);
        }
        if (context.Device.type != TorchSharp.DeviceType.CPU) net.to(context.Device);
        return new FeatureDistance(net);
    }
}
