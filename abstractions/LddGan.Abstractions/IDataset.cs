using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// A finite, indexable set of training samples. Samples are float32, scaled to [-1, 1] for images.
/// </summary>
public interface IDataset : IDisposable
{
    string Name { get; }
    long Count { get; }
    SampleShape Shape { get; }

    /// <summary>
    /// Returns the samples at <paramref name="indices"/> as one CPU tensor of shape (B, ...Shape).
    /// Random augmentation, if the dataset has any, draws from <paramref name="augmentation"/> only,
    /// so that a run is reproducible from its seeds. Training calls it from a background thread (<c>[train] prefetch</c>),
    /// one batch at a time, possibly while the host's thread reads other samples (previews): a dataset must not keep
    /// unsynchronised mutable state between calls.
    /// </summary>
    Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null);
}
