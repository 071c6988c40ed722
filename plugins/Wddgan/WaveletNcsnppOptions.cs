using LddGan.Layers;

namespace LddGan.Plugins.Wddgan;

/// <summary>
/// Options of the wavelet-embedded generator (<see cref="WaveletNcsnppGenerator"/>, the reference's <c>--net_type wavelet</c>):
/// every NCSN++ option plus the reference's three ablation switches. The inherited defaults (nf 128, ch_mult [1, 2, 2, 2],
/// attention at 16, n_mlp 4) are WDDGAN's STL-10 configuration; CelebA-HQ 256 and LSUN use nf 64, ch_mult [1, 2, 2, 2, 4], n_mlp 3.
/// </summary>
public sealed record WaveletNcsnppOptions : NcsnppOptions
{
    /// <summary>Turn off the frequency bottleneck: the middle blocks work at full resolution only (<c>--no_use_fbn</c>).</summary>
    public bool NoUseFbn { get; init; }

    /// <summary>Turn off the frequency-aware down/up blocks: FIR-resampling BigGAN blocks instead (<c>--no_use_freq</c>).</summary>
    public bool NoUseFreq { get; init; }

    /// <summary>Turn off the wavelet input pyramid: the FIR-conv pyramid downsample of NCSN++ instead (<c>--no_use_residual</c>).</summary>
    public bool NoUseResidual { get; init; }

    protected override string ComponentName => "wavelet-ncsnpp";
}
