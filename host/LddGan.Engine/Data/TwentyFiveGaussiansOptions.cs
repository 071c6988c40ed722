using System.Globalization;
using LddGan.Abstractions;

namespace LddGan.Engine.Data;

/// <summary>Options of the 25-Gaussians toy (recipe table <c>[data]</c>, type <c>25-gaussians</c>).</summary>
public sealed record TwentyFiveGaussiansOptions : IValidatableOptions
{
    /// <summary>Number of points (balanced over the 25 modes).</summary>
    public int Count { get; init; } = 100_000;

    /// <summary>Standard deviation of each mode before scaling (0.05, the standard benchmark).</summary>
    public double Std { get; init; } = 0.05;

    /// <summary>
    /// Factor applied to the points: 0.5 puts the modes at {−1, −0.5, 0, 0.5, 1}² (the images' range), 2 gives the
    /// usual benchmark grid {−4, −2, 0, 2, 4}². Vector data are not clamped on decoding, so any scale up to 4 is kept.
    /// </summary>
    public double Scale { get; init; } = 0.5;

    /// <summary>Seed of the dataset's own generator: the same seed gives the same points.</summary>
    public long Seed { get; init; }

    public IEnumerable<string> Validate()
    {
        if (Count < 25 || Count > 10_000_000) yield return $"count must be between 25 and 10000000, not {Count}.";
        if (!(Std > 0) || !(Std <= 1)) yield return $"std must be in (0, 1] (modes are 1 apart before scaling), not {F(Std)}.";
        if (!(Scale > 0) || !(Scale <= 4))
            yield return $"scale must be in (0, 4], not {F(Scale)}.";
        if (Seed < 0) yield return $"seed must be zero or positive, not {Seed}.";
    }

    private static string F(double v) => v.ToString("G7", CultureInfo.InvariantCulture);
}
