using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>
/// Mode coverage of a 2-D sample set (the usual mixture-of-Gaussians metric, e.g. VEEGAN/PacGAN): every sample is
/// assigned to its nearest mode; it is "high quality" when it lies within <c>radiusInStd</c>·σ (3σ) of that mode;
/// a mode is covered when at least <c>minSamplesPerMode</c> high-quality samples are assigned to it (default 1; PacGAN
/// uses a stricter count, e.g. 20 of 2,500 samples, which can be passed instead).
/// </summary>
public static class ModeCoverage
{
    public const double DefaultRadiusInStd = 3.0;
    public const int DefaultMinSamplesPerMode = 1;

    /// <summary>Evaluates points of shape (N, 2) (any float dtype, any device).</summary>
    public static ModeCoverageReport Evaluate(Tensor points, IReadOnlyList<(double X, double Y)> modes, double std,
                                              double radiusInStd = DefaultRadiusInStd, int minSamplesPerMode = DefaultMinSamplesPerMode)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.dim() != 2 || points.shape[1] != 2)
            throw new ArgumentException($"expected points of shape (N, 2), got [{string.Join(", ", points.shape)}].", nameof(points));
        using var cpu = points.detach().to(ScalarType.Float64, CPU).contiguous();
        return Evaluate(cpu.data<double>().ToArray(), modes, std, radiusInStd, minSamplesPerMode);
    }

    /// <summary>Evaluates interleaved coordinates x0, y0, x1, y1, ….</summary>
    public static ModeCoverageReport Evaluate(ReadOnlySpan<double> xy, IReadOnlyList<(double X, double Y)> modes, double std,
                                              double radiusInStd = DefaultRadiusInStd, int minSamplesPerMode = DefaultMinSamplesPerMode)
    {
        ArgumentNullException.ThrowIfNull(modes);
        if (modes.Count == 0) throw new ArgumentException("at least one mode is needed.", nameof(modes));
        if (xy.Length % 2 != 0) throw new ArgumentException("coordinates come in (x, y) pairs.", nameof(xy));
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "σ must be positive.");
        if (!(radiusInStd > 0)) throw new ArgumentOutOfRangeException(nameof(radiusInStd), radiusInStd, "the radius must be positive.");
        if (minSamplesPerMode < 1) throw new ArgumentOutOfRangeException(nameof(minSamplesPerMode), minSamplesPerMode, "at least 1.");

        long n = xy.Length / 2;
        var nearest = new long[modes.Count];
        var highQuality = new long[modes.Count];
        long invalid = 0, good = 0;
        double radiusSquared = radiusInStd * std * radiusInStd * std;
        for (long i = 0; i < n; i++)
        {
            double x = xy[(int)(2 * i)], y = xy[(int)(2 * i + 1)];
            if (!double.IsFinite(x) || !double.IsFinite(y)) { invalid++; continue; }
            int best = 0;
            double bestSquared = double.PositiveInfinity;
            for (int m = 0; m < modes.Count; m++)
            {
                double dx = x - modes[m].X, dy = y - modes[m].Y, d = dx * dx + dy * dy;
                if (d < bestSquared) { bestSquared = d; best = m; }
            }
            nearest[best]++;
            if (bestSquared <= radiusSquared) { highQuality[best]++; good++; }
        }
        int covered = highQuality.Count(c => c >= minSamplesPerMode);
        return new ModeCoverageReport(n, modes.Count, covered, n == 0 ? 0 : (double)good / n, nearest, highQuality,
                                      invalid, std, radiusInStd, minSamplesPerMode);
    }
}

/// <summary>Result of <see cref="ModeCoverage.Evaluate(Tensor, IReadOnlyList{ValueTuple{double, double}}, double, double, int)"/>.</summary>
/// <param name="SampleCount">Number of points evaluated (including non-finite ones).</param>
/// <param name="ModeCount">Number of modes.</param>
/// <param name="ModesCovered">Modes with at least <paramref name="MinSamplesPerMode"/> high-quality samples.</param>
/// <param name="HighQualityFraction">Fraction of all points within the radius of their nearest mode.</param>
/// <param name="NearestCounts">Per mode: points whose nearest mode it is (non-finite points excluded).</param>
/// <param name="HighQualityCounts">Per mode: those of them within the radius.</param>
/// <param name="NonFiniteCount">Points with a NaN or infinite coordinate (never high quality).</param>
public sealed record ModeCoverageReport(
    long SampleCount, int ModeCount, int ModesCovered, double HighQualityFraction,
    IReadOnlyList<long> NearestCounts, IReadOnlyList<long> HighQualityCounts, long NonFiniteCount,
    double Std, double RadiusInStd, int MinSamplesPerMode)
{
    public override string ToString() =>
        $"{ModesCovered}/{ModeCount} modes covered, {HighQualityFraction:P1} of {SampleCount} samples within {RadiusInStd:0.#}σ";
}
