using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>A dataset whose samples carry class labels 0 … <c>ClassNames.Count − 1</c> (Fashion-MNIST, CIFAR-10, an image folder with one subfolder per class).</summary>
public interface ILabeledDataset : IDataset
{
    /// <summary>The class names, indexed by label.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The labels of the samples at <paramref name="indices"/>: an int64 CPU tensor of shape (B).</summary>
    Tensor GetLabels(ReadOnlySpan<long> indices);
}

/// <summary>
/// A dataset that can name its content: <see cref="ContentHash"/> changes whenever the samples it returns (unaugmented)
/// would change. Caches of anything computed from the data (evaluation features, prepared files) are keyed by it.
/// </summary>
public interface IContentHashedDataset : IDataset
{
    /// <summary>A stable text such as <c>sha256:…</c>; equal hashes mean equal samples in equal order.</summary>
    string ContentHash { get; }
}
