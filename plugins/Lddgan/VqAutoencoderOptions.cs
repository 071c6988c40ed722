using LddGan.Abstractions;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// Options of the VQ autoencoder (LDM's <c>ddconfig</c> plus the quantiser's). Defaults are the encoder/decoder of
/// LDDGAN's CIFAR-10 first stage (ch 128, ch_mult [1, 2] → f = 2, 2 residual blocks, attention at 16, 4 latent channels),
/// with a VQ bottleneck in place of its KL one. Input channels and resolution come from the dataset.
/// </summary>
public sealed record VqAutoencoderOptions : IValidatableOptions
{
    /// <summary>Base channel count (<c>ch</c>).</summary>
    public int Ch { get; init; } = 128;

    /// <summary>Channel multiplier per level; the downsampling factor is f = 2^(len − 1).</summary>
    public int[] ChMult { get; init; } = [1, 2];

    /// <summary>Residual blocks per encoder level (decoder levels have one more).</summary>
    public int NumResBlocks { get; init; } = 2;

    /// <summary>Resolutions (side lengths) at which residual blocks are followed by self-attention.</summary>
    public int[] AttnResolutions { get; init; } = [16];

    /// <summary>Dropout inside the residual blocks (LDDGAN's CIFAR-10 config: 0.2 — in training only).</summary>
    public double Dropout { get; init; } = 0.0;

    /// <summary>Channels of the encoder output and decoder input (<c>z_channels</c>).</summary>
    public int ZChannels { get; init; } = 4;

    /// <summary>Channels of the latent the diffusion GAN models, and of the codebook vectors (<c>embed_dim</c>).</summary>
    public int EmbedDim { get; init; } = 4;

    /// <summary>Codebook size (<c>n_embed</c>; LDM's vq-f4: 8192).</summary>
    public int NEmbed { get; init; } = 8192;

    /// <summary>Weight β of the quantiser's second term (taming's legacy order puts it on the codebook term; see docs).</summary>
    public double Beta { get; init; } = 0.25;

    /// <summary>tanh on the decoder output (LDDGAN's CIFAR-10 config: true).</summary>
    public bool TanhOut { get; init; } = true;

    public IEnumerable<string> Validate()
    {
        if (Ch < 32 || Ch % 32 != 0) yield return $"ch must be a positive multiple of 32 (GroupNorm uses 32 groups), got {Ch}";
        if (ChMult is null || ChMult.Length == 0 || ChMult.Any(m => m < 1))
            yield return $"ch_mult must list positive multipliers, e.g. [1, 2], got [{string.Join(", ", ChMult ?? [])}]";
        if (NumResBlocks < 1) yield return $"num_res_blocks must be at least 1, got {NumResBlocks}";
        if (AttnResolutions is null || AttnResolutions.Any(r => r < 1)) yield return "attn_resolutions must list positive resolutions (it may be empty)";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must lie in [0, 1), got {Dropout}";
        if (ZChannels < 1) yield return $"z_channels must be positive, got {ZChannels}";
        if (EmbedDim < 1) yield return $"embed_dim must be positive, got {EmbedDim}";
        if (NEmbed < 2) yield return $"n_embed must be at least 2, got {NEmbed}";
        if (!(Beta >= 0)) yield return $"beta must be non-negative, got {Beta}";
    }

    /// <summary>The spatial downsampling factor f.</summary>
    public int Factor => 1 << (ChMult.Length - 1);
}
