namespace LddGan.Abstractions;

/// <summary>
/// Shape of one sample, without the batch dimension: an image-like tensor (C, H, W), or a vector (C) for toy data.
/// </summary>
public readonly record struct SampleShape(int Channels, int Height, int Width)
{
    /// <summary>A flat vector sample of <paramref name="length"/> numbers (e.g. a 2-D point).</summary>
    public static SampleShape Vector(int length) => new(length, 0, 0);

    /// <summary>True for vector samples (no spatial dimensions).</summary>
    public bool IsVector => Height == 0 && Width == 0;

    /// <summary>The tensor shape of a batch of <paramref name="batchSize"/> such samples.</summary>
    public long[] WithBatch(long batchSize) =>
        IsVector ? [batchSize, Channels] : [batchSize, Channels, Height, Width];

    /// <summary>Number of scalars in one sample.</summary>
    public long Elements => IsVector ? Channels : (long)Channels * Height * Width;

    public override string ToString() => IsVector ? $"{Channels}" : $"{Channels}x{Height}x{Width}";
}
