using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// A network that maps images to feature vectors for FID and precision/recall ("fmnist": the project's own
/// <see cref="FeatureNet"/>; others, e.g. InceptionV3, plug in here).
/// </summary>
public interface IFeatureExtractor : IDisposable
{
    /// <summary>The name used on the command line and in reports, e.g. "fmnist".</summary>
    string Name { get; }

    /// <summary>Length of each feature vector.</summary>
    int Dim { get; }

    /// <summary>
    /// Identifies the weights (e.g. the SHA-256 of the weight file); part of the reference-statistics cache key, so
    /// cached real-data features are recomputed when the weights change. The default, the name, suits fixed weights only.
    /// </summary>
    string Fingerprint => Name;

    /// <summary>
    /// Why this extractor cannot read images of <paramref name="shape"/>, with what to use instead; null when it can.
    /// Asked before any sampling, so a wrong pairing fails at once.
    /// </summary>
    string? Refuses(SampleShape shape) => null;

    /// <summary>Features (B, <see cref="Dim"/>) as float32 on the CPU, for images (B, C, H, W) in [-1, 1] on any device.</summary>
    Tensor Extract(Tensor images);
}
