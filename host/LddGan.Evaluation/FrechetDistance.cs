using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians (Heusel et al. 2017, FID):
/// ||μ₁ − μ₂||² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½).
/// <para>
/// Tr((Σ₁Σ₂)^½) is computed without a general matrix square root: Σ₁Σ₂ is similar to the symmetric PSD matrix
/// M = Σ₁^½ Σ₂ Σ₁^½, so the trace is Σᵢ √λᵢ(M). Both Σ₁^½ and the eigenvalues of M come from symmetric eigensolvers
/// (torch.linalg.eigh / eigvalsh, float64), and eigenvalues below the rank tolerance (rounding noise, or negative) are set to 0. This stays
/// finite for singular covariances (fewer samples than dimensions), where scipy's sqrtm, used by pytorch-fid, can return
/// complex or non-finite values; pytorch-fid then adds ε·I to both covariances and retries. We keep that idea only as a
/// fallback: if the eigensolver fails or returns non-finite values, ε·I (ε = <see cref="FallbackEpsilon"/>) is added to both
/// covariances once, and the result says so.
/// </para>
/// </summary>
public static class FrechetDistance
{
    public const double FallbackEpsilon = 1e-6;
    /// <summary>The spacing of float64 values at 1 (numpy.finfo(float64).eps).</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    public static double Compute(FeatureStatistics a, FeatureStatistics b) => Compute(a.Mean, a.Covariance, b.Mean, b.Covariance);

    public static double Compute(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2) =>
        ComputeDetailed(mean1, covariance1, mean2, covariance2).Distance;

    /// <summary>The distance, and whether the ε·I fallback was needed.</summary>
    public static (double Distance, bool UsedEpsilon) ComputeDetailed(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        long d = mean1.shape[0];
        if (mean1.dim() != 1 || mean2.dim() != 1 || mean2.shape[0] != d ||
            !covariance1.shape.SequenceEqual(new[] { d, d }) || !covariance2.shape.SequenceEqual(new[] { d, d }))
            throw new ArgumentException($"the Fréchet distance needs two means (D) and covariances (D, D) of one D; got ({string.Join(", ", mean1.shape)}), " +
                                        $"({string.Join(", ", covariance1.shape)}), ({string.Join(", ", mean2.shape)}), ({string.Join(", ", covariance2.shape)})");
        using var scope = NewDisposeScope();
        var m1 = mean1.to(ScalarType.Float64).cpu();
        var m2 = mean2.to(ScalarType.Float64).cpu();
        var s1 = covariance1.to(ScalarType.Float64).cpu();
        var s2 = covariance2.to(ScalarType.Float64).cpu();
        foreach (var t in new[] { m1, m2, s1, s2 })
            if (!t.isfinite().all().item<bool>())
                throw new EvaluationException("the feature statistics contain NaN or infinite values (did the generator produce non-finite images?)");

        double meanTerm = (m1 - m2).square().sum().item<double>();
        bool usedEpsilon = false;
        double traceSqrt = TryTraceSqrtProduct(s1, s2);
        if (!double.IsFinite(traceSqrt))
        {
            usedEpsilon = true;
            var offset = eye(d, dtype: ScalarType.Float64) * FallbackEpsilon;
            s1 = s1 + offset;
            s2 = s2 + offset;
            traceSqrt = TryTraceSqrtProduct(s1, s2);
            if (!double.IsFinite(traceSqrt))
                throw new EvaluationException("the Fréchet distance could not be computed: the covariance eigensolver failed even with ε·I added");
        }
        double distance = meanTerm + s1.trace().item<double>() + s2.trace().item<double>() - 2 * traceSqrt;
        return (distance, usedEpsilon);
    }

    /// <summary>Tr((Σ₁Σ₂)^½) for symmetric PSD Σ₁, Σ₂ (see the class remarks).</summary>
    public static double TraceSqrtProduct(Tensor covariance1, Tensor covariance2)
    {
        using var scope = NewDisposeScope();
        var s1 = Symmetric(covariance1.to(ScalarType.Float64).cpu());
        var s2 = Symmetric(covariance2.to(ScalarType.Float64).cpu());
        var (values, vectors) = linalg.eigh(s1);
        var root = (vectors * ZeroBelowRankTolerance(values).sqrt().unsqueeze(0)).matmul(vectors.t());   // V diag(√λ) Vᵀ
        var m = Symmetric(root.matmul(s2).matmul(root));
        return ZeroBelowRankTolerance(linalg.eigvalsh(m)).sqrt().sum().item<double>();
    }

    /// <summary>
    /// Eigenvalues of a PSD matrix that are zero in exact arithmetic come out as ±(rounding); their square roots
    /// (~1e-7 each) would add up for a singular covariance. Values below numpy.linalg.matrix_rank's tolerance,
    /// λ_max · D · ε(float64), and negative ones are set to 0.
    /// </summary>
    private static Tensor ZeroBelowRankTolerance(Tensor eigenvalues)
    {
        double largest = eigenvalues.abs().max().item<double>();
        double tolerance = largest * eigenvalues.shape[0] * MachineEpsilon;
        return where(eigenvalues.gt(tolerance), eigenvalues, zeros_like(eigenvalues));
    }

    private static double TryTraceSqrtProduct(Tensor s1, Tensor s2)
    {
        try { return TraceSqrtProduct(s1, s2); }
        catch (ExternalException) { return double.NaN; }   // libtorch: "the algorithm failed to converge"
    }

    private static Tensor Symmetric(Tensor m) => (m + m.t()) / 2;
}
