using static TorchSharp.torch;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// The coefficient tables of <see cref="DiffusionTables"/> as float32 tensors on one device, and the per-sample
/// gather (<c>extract</c> in the official code) that broadcasts a coefficient to a batch of any rank.
/// </summary>
public sealed class DiffusionCoefficients : IDisposable
{
    private bool _disposed;

    public DiffusionCoefficients(DiffusionTables tables, Device? device = null)
    {
        Tables = tables ?? throw new ArgumentNullException(nameof(tables));
        Device = device ?? CPU;
        Build();
    }

    public DiffusionTables Tables { get; }
    public Device Device { get; private set; }
    public int NumTimesteps => Tables.NumTimesteps;

    /// <summary>β_0..β_T, float32, length T+1.</summary>
    public Tensor Betas { get; private set; } = null!;
    /// <summary>a_0..a_T, float32, length T+1.</summary>
    public Tensor A { get; private set; } = null!;
    /// <summary>σ_0..σ_T, float32, length T+1.</summary>
    public Tensor Sigma { get; private set; } = null!;
    /// <summary>Cumulative a, float32, length T+1.</summary>
    public Tensor ACum { get; private set; } = null!;
    /// <summary>Cumulative σ = sqrt(1 − a_cum²), float32, length T+1.</summary>
    public Tensor SigmaCum { get; private set; } = null!;
    /// <summary>Posterior coefficient of x_0, float32, length T.</summary>
    public Tensor PosteriorCoef1 { get; private set; } = null!;
    /// <summary>Posterior coefficient of x_{t+1}, float32, length T.</summary>
    public Tensor PosteriorCoef2 { get; private set; } = null!;
    /// <summary>Posterior variance, float32, length T.</summary>
    public Tensor PosteriorVariance { get; private set; } = null!;
    /// <summary>Clipped log posterior variance, float32, length T.</summary>
    public Tensor PosteriorLogVarianceClipped { get; private set; } = null!;

    /// <summary>Moves every table to <paramref name="device"/>.</summary>
    public void MoveTo(Device device)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (device.type == Device.type && device.index == Device.index) return;
        DisposeTensors();
        Device = device;
        Build();
    }

    /// <summary>
    /// coefficient[t_b] for each sample b, shaped (B, 1, …, 1) to broadcast against a batch of rank <paramref name="rank"/>,
    /// on <paramref name="device"/>. <paramref name="t"/> is an integer tensor of shape (B).
    /// </summary>
    public static Tensor Extract(Tensor coefficient, Tensor t, int rank, Device device)
    {
        using var scope = NewDisposeScope();
        var index = t.to(ScalarType.Int64, device);
        var values = coefficient.to(device).index_select(0, index);
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = index.shape[0];
        return values.reshape(shape).MoveToOuterDisposeScope();
    }

    private void Build()
    {
        Tensor Make(float[] values) => tensor(values, ScalarType.Float32, Device).DetachFromDisposeScope();
        Betas = Make(Tables.BetasF);
        A = Make(Tables.AF);
        Sigma = Make(Tables.SigmaF);
        ACum = Make(Tables.ACumF);
        SigmaCum = Make(Tables.SigmaCumF);
        PosteriorCoef1 = Make(Tables.Coef1F);
        PosteriorCoef2 = Make(Tables.Coef2F);
        PosteriorVariance = Make(Tables.VarianceF);
        PosteriorLogVarianceClipped = Make(Tables.LogVarianceF);
    }

    private void DisposeTensors()
    {
        foreach (var t in new[] { Betas, A, Sigma, ACum, SigmaCum, PosteriorCoef1, PosteriorCoef2, PosteriorVariance, PosteriorLogVarianceClipped })
            t?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeTensors();
    }
}
