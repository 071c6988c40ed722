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
    /// so that a run is reproducible from its seeds.
    /// </summary>
    Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null);
}
