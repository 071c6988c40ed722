using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>
/// Images and labels held as bytes, one fixed-size image after another (what the Fashion-MNIST and CIFAR-10 files hold):
/// the gathering both datasets share, with an index check that names the dataset.
/// </summary>
internal sealed class InMemoryImages(byte[] pixels, byte[] labels, int imageBytes, string description)
{
    public long Count => labels.Length;

    /// <summary>The class labels of the samples, in order.</summary>
    public ReadOnlyMemory<byte> Labels => labels;

    /// <summary>The labels at <paramref name="indices"/> as an int64 tensor of shape (B).</summary>
    public Tensor GetLabels(ReadOnlySpan<long> indices)
    {
        var values = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) values[i] = labels[CheckIndex(indices[i])];
        return tensor(values, ScalarType.Int64);
    }

    /// <summary>The bytes of the images at <paramref name="indices"/>, one after another.</summary>
    public byte[] Gather(ReadOnlySpan<long> indices)
    {
        if (indices.Length == 0) throw new ArgumentException("at least one index is needed.", nameof(indices));
        var gathered = new byte[indices.Length * imageBytes];
        for (int i = 0; i < indices.Length; i++)
            pixels.AsSpan(checked((int)(CheckIndex(indices[i]) * imageBytes)), imageBytes).CopyTo(gathered.AsSpan(i * imageBytes));
        return gathered;
    }

    private long CheckIndex(long index) =>
        index >= 0 && index < Count ? index
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"{description} has {Count} samples.");
}
