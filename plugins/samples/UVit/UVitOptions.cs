using LddGan.Abstractions;

namespace LddGan.Samples.UVit;

/// <summary>
/// Options of <see cref="UVitGenerator"/>, the recipe's <c>[generator]</c> table when <c>type = "uvit"</c>. Keys are
/// the snake_case forms of the property names (<c>PatchSize</c> → <c>patch_size</c>); the transformer keys keep the
/// names of U-ViT's <c>UViT(...)</c> arguments, the z keys those of the DDGAN generator. Defaults are CPU-small
/// (U-ViT's CIFAR-10 model is embed_dim 512, depth 12, num_heads 8). Image size and channel count are not options:
/// they come from the run's latent shape.
/// </summary>
public sealed record UVitOptions : IValidatableOptions
{
    /// <summary>Side of the square patches that become tokens; H and W must be multiples of it.</summary>
    public int PatchSize { get; init; } = 2;

    /// <summary>Token width D (also the width of the sinusoidal time embedding, as in U-ViT).</summary>
    public int EmbedDim { get; init; } = 128;

    /// <summary>
    /// U-ViT's depth: depth/2 "in" blocks, one middle block and depth/2 "out" blocks (depth + 1 blocks in all); even,
    /// because the official code takes depth // 2 on each side and would silently drop a block otherwise.
    /// </summary>
    public int Depth { get; init; } = 6;

    /// <summary>Attention heads; must divide embed_dim.</summary>
    public int NumHeads { get; init; } = 4;

    /// <summary>Hidden width of each block's MLP, as a multiple of embed_dim (truncated to an integer).</summary>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Bias on the attention's q/k/v projection (U-ViT: off).</summary>
    public bool QkvBias { get; init; } = false;

    /// <summary>Pass the sinusoidal time embedding through a Linear–SiLU–Linear MLP (U-ViT: off in every published config).</summary>
    public bool MlpTimeEmbed { get; init; } = false;

    /// <summary>Long skip connections from the in blocks to the out blocks (concat + Linear). U-ViT's key ingredient.</summary>
    public bool Skip { get; init; } = true;

    /// <summary>A 3×3 convolution after un-patchifying (U-ViT's <c>final_layer</c>; smooths patch seams).</summary>
    public bool Conv { get; init; } = true;

    /// <summary>Dimension of the latent noise z (the denoiser's <c>NoiseDim</c>).</summary>
    public int Nz { get; init; } = 50;

    /// <summary>Width of the z mapping network and of its output, the style that drives every AdaGN.</summary>
    public int ZEmbDim { get; init; } = 128;

    /// <summary>Dense layers of the mapping network after its first one (PixelNorm → dense → n_mlp × dense).</summary>
    public int NMlp { get; init; } = 2;

    /// <summary>Return the prediction without tanh (for unbounded latent spaces); by default it is squashed to [-1, 1].</summary>
    public bool NotUseTanh { get; init; } = false;

    public IEnumerable<string> Validate()
    {
        if (PatchSize < 1) yield return $"patch_size must be a positive integer, got {PatchSize}";
        if (EmbedDim < 4) yield return $"embed_dim must be at least 4 (sinusoidal time embedding, group norm), got {EmbedDim}";
        else
        {
            // AdaGN normalises D channels in min(D/4, 32) groups, which must divide D.
            var groups = Math.Min(EmbedDim / 4, 32);
            if (EmbedDim % groups != 0)
                yield return $"embed_dim = {EmbedDim} cannot be split into min(embed_dim/4, 32) = {groups} group-norm groups; " +
                             "use a multiple of 4 (and of 32 above 128), e.g. 64, 128, 256";
        }
        if (Depth < 2 || Depth % 2 != 0)
            yield return $"depth must be an even number of at least 2 (depth/2 in blocks, a middle block, depth/2 out blocks), got {Depth}";
        if (NumHeads < 1) yield return $"num_heads must be a positive integer, got {NumHeads}";
        else if (EmbedDim >= 1 && EmbedDim % NumHeads != 0)
            yield return $"num_heads must divide embed_dim ({EmbedDim}), got {NumHeads}";
        if (!(MlpRatio > 0) || double.IsInfinity(MlpRatio) || (int)(EmbedDim * MlpRatio) < 1)
            yield return $"mlp_ratio must be positive, with embed_dim · mlp_ratio at least 1, got {MlpRatio}";
        if (Nz < 1) yield return $"nz must be a positive integer, got {Nz}";
        if (ZEmbDim < 1) yield return $"z_emb_dim must be a positive integer, got {ZEmbDim}";
        if (NMlp < 0) yield return $"n_mlp must be 0 or more, got {NMlp}";
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem found by <see cref="Validate"/>.</summary>
    internal void ThrowIfInvalid()
    {
        var errors = Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException($"invalid {UVitFactory.ComponentName} options: " + string.Join("; ", errors));
    }
}
