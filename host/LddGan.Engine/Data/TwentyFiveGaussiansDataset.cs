using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>
/// The DDGAN paper's 2-D mode-coverage toy: a mixture of 25 Gaussians centred on the grid {−2, −1, 0, 1, 2}² with
/// standard deviation <see cref="TwentyFiveGaussiansOptions.Std"/> (0.05), multiplied by <see cref="TwentyFiveGaussiansOptions.Scale"/>
/// (0.5) so the data lie in about [−1, 1]²: modes at {−1, −0.5, 0, 0.5, 1}², σ = 0.025 in model space.
/// Point i belongs to mode i mod 25 (balanced); the noise comes from the dataset's own seeded generator, so the set is
/// fixed by its options. Samples are vectors of length 2. There is no augmentation.
/// </summary>
public sealed class TwentyFiveGaussiansDataset : IDataset
{
    public const int GridSide = 5;
    public const int ModeCount = GridSide * GridSide;

    private readonly Tensor _points;
    private bool _disposed;

    public TwentyFiveGaussiansDataset(TwentyFiveGaussiansOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [data] options for 25-gaussians: " + string.Join(" ", errors), nameof(options));
        Options = options;
        Modes = ModeCenters(options.Scale);

        using var scope = NewDisposeScope();
        using var rng = new Generator((ulong)options.Seed);
        long n = options.Count;
        var centres = tensor(Modes.SelectMany(m => new[] { m.X, m.Y }).ToArray(), [ModeCount, 2], ScalarType.Float64);
        var modeOfPoint = arange(n, ScalarType.Int64) % ModeCount;
        var noise = randn([n, 2], ScalarType.Float64, generator: rng) * (options.Std * options.Scale);
        _points = (centres.index_select(0, modeOfPoint) + noise).to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
    }

    public TwentyFiveGaussiansOptions Options { get; }
    public string Name => "25-gaussians";
    public long Count => Options.Count;
    public SampleShape Shape => SampleShape.Vector(2);

    /// <summary>The 25 mode centres in model space (after scaling), row-major over x then y.</summary>
    public IReadOnlyList<(double X, double Y)> Modes { get; }

    /// <summary>Standard deviation of each mode in model space (std × scale).</summary>
    public double ModelStd => Options.Std * Options.Scale;

    /// <summary>The mode that point <paramref name="index"/> was drawn from.</summary>
    public static int ModeOf(long index) => (int)(index % ModeCount);

    /// <summary>The grid {−2..2}² multiplied by <paramref name="scale"/>; mode m is (x = −2 + m/5, y = −2 + m mod 5)·scale.</summary>
    public static IReadOnlyList<(double X, double Y)> ModeCenters(double scale = 0.5)
    {
        var modes = new (double, double)[ModeCount];
        for (int m = 0; m < ModeCount; m++) modes[m] = ((m / GridSide - 2) * scale, (m % GridSide - 2) * scale);
        return modes;
    }

    /// <summary>Mode coverage of generated points (N, 2) in model space against this dataset's modes and σ.</summary>
    public ModeCoverageReport Evaluate(Tensor points, double radiusInStd = ModeCoverage.DefaultRadiusInStd,
                                       int minSamplesPerMode = ModeCoverage.DefaultMinSamplesPerMode) =>
        ModeCoverage.Evaluate(points, Modes, ModelStd, radiusInStd, minSamplesPerMode);

    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (indices.Length == 0) throw new ArgumentException("at least one index is needed.", nameof(indices));
        foreach (long i in indices)
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"25-gaussians has {Count} samples.");
        using var index = tensor(indices.ToArray(), ScalarType.Int64);
        return _points.index_select(0, index);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _points.Dispose();
    }
}
