using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>Improved precision and recall with the k used.</summary>
public sealed record PrecisionRecallResult(double Precision, double Recall, int K);

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019). Each point's radius is the distance to its k-th nearest
/// neighbour within its own set (itself excluded); the union of the balls approximates that set's manifold.
/// Precision = the fraction of fake points inside some real point's ball (distance ≤ radius);
/// recall = the fraction of real points inside some fake point's ball. Euclidean distances in float64, computed in
/// blocks of rows (torch.cdist), so 10k × 10k needs only a block's worth of memory.
/// </summary>
public static class PrecisionRecall
{
    public const int DefaultK = 3;
    /// <summary>Distances held at once: 4M float64 = 32 MB.</summary>
    public const long DefaultBlockElements = 1L << 22;

    public static PrecisionRecallResult Compute(Tensor real, Tensor fake, int k = DefaultK, long blockElements = DefaultBlockElements)
    {
        if (real.dim() != 2 || fake.dim() != 2 || real.shape[1] != fake.shape[1])
            throw new ArgumentException($"precision/recall needs two feature sets (N, D) of one D; got ({string.Join(", ", real.shape)}) and ({string.Join(", ", fake.shape)})");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        if (real.shape[0] <= k || fake.shape[0] <= k)
            throw new ArgumentException($"precision/recall with k = {k} needs more than {k} points in each set; got {real.shape[0]} real and {fake.shape[0]} fake");
        using var scope = NewDisposeScope();
        var r = real.to(ScalarType.Float64).cpu();
        var f = fake.to(ScalarType.Float64).cpu();
        var realRadii = KthNeighbourDistances(r, k, blockElements);
        var fakeRadii = KthNeighbourDistances(f, k, blockElements);
        double precision = FractionInsideBalls(f, r, realRadii, blockElements);
        double recall = FractionInsideBalls(r, f, fakeRadii, blockElements);
        return new PrecisionRecallResult(precision, recall, k);
    }

    /// <summary>For each point, the distance to its k-th nearest other point of the same set (N, float64).</summary>
    public static Tensor KthNeighbourDistances(Tensor points, int k, long blockElements = DefaultBlockElements)
    {
        long n = points.shape[0];
        if (n <= k) throw new ArgumentException($"the k-th neighbour (k = {k}) needs more than {k} points, got {n}");
        using var asDouble = points.to(ScalarType.Float64);
        points = asDouble;
        long rows = RowsPerBlock(n, blockElements);
        var parts = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            for (long start = 0; start < n; start += rows)
            {
                using var inner = NewDisposeScope();
                var distances = cdist(points[TensorIndex.Slice(start, Math.Min(n, start + rows))], points);
                // The point itself is at distance 0, the smallest, so the (k+1)-th smallest is the k-th neighbour.
                parts.Add(distances.kthvalue(k + 1, 1).values.MoveToOuterDisposeScope());
            }
            return cat(parts, 0).MoveToOuterDisposeScope();
        }
    }

    /// <summary>The fraction of <paramref name="queries"/> within distance ≤ radius of at least one anchor.</summary>
    public static double FractionInsideBalls(Tensor queries, Tensor anchors, Tensor anchorRadii, long blockElements = DefaultBlockElements)
    {
        long n = queries.shape[0];
        long rows = RowsPerBlock(anchors.shape[0], blockElements);
        long inside = 0;
        using var radii = anchorRadii.unsqueeze(0);
        for (long start = 0; start < n; start += rows)
        {
            using var scope = NewDisposeScope();
            var distances = cdist(queries[TensorIndex.Slice(start, Math.Min(n, start + rows))], anchors);
            inside += distances.le(radii).any(1).sum().item<long>();
        }
        return (double)inside / n;
    }

    private static long RowsPerBlock(long columns, long blockElements) => Math.Max(1, blockElements / Math.Max(1, columns));
}
