using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The sinusoidal timestep embedding of DDPM / the official code (<c>layers.get_timestep_embedding</c>):
/// with half = dim/2 and freq_j = exp(-j·ln(max_positions)/(half-1)), emb = [sin(t·freq), cos(t·freq)]
/// (sine block first), zero-padded by one column when dim is odd.
/// </summary>
public static class SinusoidalEmbedding
{
    /// <param name="timesteps">Shape (B); integer step indices or floats. Cast to float32.</param>
    /// <param name="dim">Embedding dimension (at least 4, so that half - 1 &gt; 0).</param>
    /// <param name="maxPositions">The "10000" of the transformer embedding.</param>
    /// <param name="dtype">Element type of the result (computed in float32, as the official code, then converted).</param>
    /// <returns>Shape (B, dim), on the device of <paramref name="timesteps"/>.</returns>
    public static Tensor Compute(Tensor timesteps, int dim, double maxPositions = 10000, ScalarType dtype = ScalarType.Float32)
    {
        if (timesteps.dim() != 1)
            throw new ArgumentException($"timesteps must have shape (B), got ({string.Join(", ", timesteps.shape)})", nameof(timesteps));
        if (dim < 4)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "the sinusoidal embedding needs dim >= 4");
        var half = dim / 2;
        using var scope = NewDisposeScope();
        var step = Math.Log(maxPositions) / (half - 1);
        var freqs = arange(half, dtype: ScalarType.Float32, device: timesteps.device).mul_(-step).exp_();
        var args = timesteps.to_type(ScalarType.Float32).unsqueeze(1) * freqs.unsqueeze(0);
        var emb = cat([args.sin(), args.cos()], 1);
        if (dim % 2 == 1)
            emb = nn.functional.pad(emb, [0, 1]);
        if (dtype != ScalarType.Float32)
            emb = emb.to_type(dtype);
        return emb.MoveToOuterDisposeScope();
    }
}
