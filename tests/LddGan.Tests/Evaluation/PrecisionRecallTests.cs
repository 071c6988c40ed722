using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>Improved precision/recall (k-NN balls) on point sets with known answers.</summary>
public sealed class PrecisionRecallTests
{
    /// <summary><paramref name="perCluster"/> distinct points around each centre, spread 0.1, centres 100 apart on a line.</summary>
    private static Tensor Clusters(int clusters, int perCluster, int dim, long seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var centres = zeros(clusters, dim);
        centres[TensorIndex.Colon, 0] = arange(clusters, dtype: ScalarType.Float32) * 100;
        return (centres.repeat_interleave(perCluster, 0) + 0.1 * randn(clusters * perCluster, dim, generator: generator)).contiguous();
    }

    [Test]
    public void IdenticalSetsHavePrecisionAndRecallOne()
    {
        using var scope = NewDisposeScope();
        var points = Clusters(4, 20, 8, seed: 1);
        var result = PrecisionRecall.Compute(points, points.clone());
        Assert.That((result.Precision, result.Recall, result.K), Is.EqualTo((1.0, 1.0, 3)));
    }

    [Test]
    public void FarApartSetsHavePrecisionAndRecallZero()
    {
        using var scope = NewDisposeScope();
        var real = Clusters(3, 20, 8, seed: 2);
        var fake = Clusters(3, 20, 8, seed: 3) + 10_000;
        var result = PrecisionRecall.Compute(real, fake);
        Assert.That((result.Precision, result.Recall), Is.EqualTo((0.0, 0.0)));
    }

    [Test]
    public void AFakeSetCoveringHalfTheClustersHasPrecisionOneAndRecallOneHalf()
    {
        using var scope = NewDisposeScope();
        // Real: 4 clusters of 25 points. Fake: the very points of clusters 0 and 1 (plus a tiny jitter). Every fake point
        // sits on a real point (precision 1); the real points of clusters 0, 1 sit on fake points, those of clusters 2, 3
        // are ~100 away from any fake point while fake radii are < 1 (recall exactly 50 / 100).
        var real = Clusters(4, 25, 6, seed: 4);
        var fake = real[TensorIndex.Slice(0, 50)] + 1e-6 * randn(50, 6, generator: new TorchSharp.torch.Generator(5));
        var result = PrecisionRecall.Compute(real, fake);
        Assert.That(result.Precision, Is.EqualTo(1.0));
        Assert.That(result.Recall, Is.EqualTo(0.5));
    }

    [Test]
    public void ATinyOneDimensionalExampleMatchesTheHandComputation()
    {
        using var scope = NewDisposeScope();
        // k = 1. Real {0, 1, 3, 20}: radii 1, 1, 2, 17. Fake {0.5, 2.5, 6}: radii 2, 2, 3.5.
        // Precision: 0.5 is 0.5 from 0 (≤ 1); 2.5 is 0.5 from 3 (≤ 2); 6 is 14 from 20 (≤ 17, the outlier's big ball): 3/3.
        // Recall: 0, 1 and 3 are 0.5 from a fake point with radius 2; 20 is 14 from 6 (radius 3.5): 3/4.
        var real = tensor(new float[] { 0, 1, 3, 20 }).unsqueeze(1);
        var fake = tensor(new float[] { 0.5f, 2.5f, 6 }).unsqueeze(1);
        Assert.That(PrecisionRecall.KthNeighbourDistances(real, 1).data<double>().ToArray(), Is.EqualTo(new[] { 1.0, 1.0, 2.0, 17.0 }));
        var result = PrecisionRecall.Compute(real, fake, k: 1);
        Assert.That((result.Precision, result.Recall), Is.EqualTo((1.0, 0.75)));
        // k = 2: real radii 3, 2, 3, 19; fake radii 5.5, 3.5, 5.5. Fake 6 is 14 from 20 (≤ 19): precision 1;
        // real 20 is 14 from 6 (> 5.5): recall 3/4.
        Assert.That(PrecisionRecall.KthNeighbourDistances(real, 2).data<double>().ToArray(), Is.EqualTo(new[] { 3.0, 2.0, 3.0, 19.0 }));
        Assert.That(PrecisionRecall.KthNeighbourDistances(fake, 2).data<double>().ToArray(), Is.EqualTo(new[] { 5.5, 3.5, 5.5 }));
        var k2 = PrecisionRecall.Compute(real, fake, k: 2);
        Assert.That((k2.Precision, k2.Recall), Is.EqualTo((1.0, 0.75)));
    }

    [Test]
    public void BlockSizeDoesNotChangeTheResult()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var real = randn(90, 5);
        var fake = randn(70, 5) * 1.3 + 0.2;
        var whole = PrecisionRecall.Compute(real, fake);
        var blocked = PrecisionRecall.Compute(real, fake, blockElements: 7 * 90);   // 7-row blocks, a ragged last one
        var single = PrecisionRecall.Compute(real, fake, blockElements: 1);
        Assert.That(blocked, Is.EqualTo(whole));
        Assert.That(single, Is.EqualTo(whole));
        Assert.That(whole.Precision, Is.GreaterThan(0).And.LessThan(1));
    }

    [Test]
    public void TooFewPointsForKIsAClearError()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => PrecisionRecall.Compute(ones(3, 2), ones(10, 2)));
        Assert.That(e!.Message, Does.Contain("k = 3"));
    }
}
