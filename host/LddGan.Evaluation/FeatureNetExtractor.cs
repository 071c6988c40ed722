using System.Security.Cryptography;
using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// "fmnist": the penultimate 256-d activations of the project's own Fashion-MNIST classifier (<see cref="FeatureNet"/>).
/// Images that are not 32×32 are brought to it as the dataset does (28×28: 2 px of background padding; otherwise bilinear).
/// </summary>
public sealed class FeatureNetExtractor : IFeatureExtractor
{
    public const string ExtractorName = "fmnist";
    public const string DefaultWeights = "recipes/pretrained/fashion-mnist-feature-net.bin";

    private readonly FeatureNet _net;
    private readonly Device _device;

    public FeatureNetExtractor(FeatureNet net, string fingerprint, Device? device = null)
    {
        _net = net;
        _device = device ?? CPU;
        Fingerprint = fingerprint;
        _net.eval();
        foreach (var p in _net.parameters()) p.requires_grad = false;
    }

    public string Name => ExtractorName;
    public int Dim => FeatureNet.FeatureDim;
    public string Fingerprint { get; }

    /// <summary>Loads the weights written by recipes/fashion-mnist-feature-net.csx; the fingerprint is the file's SHA-256.</summary>
    public static FeatureNetExtractor Load(string weightsPath, Device? device = null)
    {
        string path = Path.GetFullPath(weightsPath);
        if (!File.Exists(path))
            throw new EvaluationException(
                $"feature network weights not found at {path}. They ship in the repository as {DefaultWeights} (run from its root, " +
                "or pass --feature-weights), or train them with `lddgan run recipes/fashion-mnist-feature-net.csx`.");
        var net = new FeatureNet();
        try { net.load(path); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or InvalidOperationException)
        {
            net.Dispose();
            throw new EvaluationException($"{path} does not hold the Fashion-MNIST feature network's weights ({e.Message}).", e);
        }
        if (device is not null && device.type != TorchSharp.DeviceType.CPU) net.to(device);
        string hash;
        using (var stream = File.OpenRead(path)) hash = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        return new FeatureNetExtractor(net, "sha256:" + hash, device);
    }

    public string? Refuses(SampleShape shape) => shape.IsVector || shape.Channels != _net.InChannels
        ? $"the {ExtractorName} feature network reads {_net.InChannels}-channel images (it is a Fashion-MNIST classifier), and these are {shape}. " +
          "For colour images use the Inception features: lddgan eval --features inception --feature-weights <pytorch-fid's Inception weights> " +
          "(see docs/evaluation-inception.md)."
        : null;

    public Tensor Extract(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != _net.InChannels)
            throw new ArgumentException($"the fmnist feature network takes (B, {_net.InChannels}, H, W) images, got ({string.Join(", ", images.shape)})");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = images.to(ScalarType.Float32).to(_device);
        long h = x.shape[2], w = x.shape[3];
        if (h == 28 && w == 28) x = nn.functional.pad(x, [2, 2, 2, 2], value: -1.0);
        else if (h != 32 || w != 32)
            x = nn.functional.interpolate(x, [32, 32], mode: InterpolationMode.Bilinear, align_corners: false, antialias: h > 32 || w > 32);
        return _net.Features(x).cpu().MoveToOuterDisposeScope();
    }

    public void Dispose() => _net.Dispose();
}
