using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// Mean and covariance of a set of feature vectors, in float64 on the CPU. The covariance is the unbiased estimate
/// (divided by n − 1), as <c>numpy.cov(features, rowvar=False)</c>, which FID implementations use.
/// </summary>
public sealed class FeatureStatistics : IDisposable
{
    public FeatureStatistics(Tensor mean, Tensor covariance, long count)
    {
        if (mean.dim() != 1 || covariance.dim() != 2 || covariance.shape[0] != mean.shape[0] || covariance.shape[1] != mean.shape[0])
            throw new ArgumentException($"statistics need a mean (D) and a covariance (D, D); got ({string.Join(", ", mean.shape)}) and ({string.Join(", ", covariance.shape)})");
        Mean = mean;
        Covariance = covariance;
        Count = count;
    }

    /// <summary>(D) float64.</summary>
    public Tensor Mean { get; }
    /// <summary>(D, D) float64, unbiased.</summary>
    public Tensor Covariance { get; }
    /// <summary>How many feature vectors the statistics summarise.</summary>
    public long Count { get; }
    public int Dim => (int)Mean.shape[0];

    /// <summary>Statistics of <paramref name="features"/> (N, D), N ≥ 2.</summary>
    public static FeatureStatistics FromFeatures(Tensor features)
    {
        if (features.dim() != 2 || features.shape[0] < 2)
            throw new ArgumentException($"feature statistics need at least 2 feature vectors as (N, D), got ({string.Join(", ", features.shape)})");
        long n = features.shape[0];
        using var scope = NewDisposeScope();
        var x = features.to(ScalarType.Float64).cpu();
        var mean = x.mean([0]);
        var centered = x - mean;
        var covariance = centered.t().matmul(centered) / (n - 1);
        return new FeatureStatistics(mean.MoveToOuterDisposeScope(), covariance.MoveToOuterDisposeScope(), n);
    }

    public void Dispose()
    {
        Mean.Dispose();
        Covariance.Dispose();
    }
}
