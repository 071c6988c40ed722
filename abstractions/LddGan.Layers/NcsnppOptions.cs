using LddGan.Abstractions;

namespace LddGan.Layers;

/// <summary>
/// Options of the NCSN++ generator with AdaGN (the DDGAN plugin's <c>ncsnpp</c>; WDDGAN's <c>wavelet-ncsnpp</c> extends
/// them). Defaults are the official DDGAN CIFAR-10 configuration. Keys serialise in snake_case (<c>nf</c>, <c>ch_mult</c>, <c>num_res_blocks</c>, …). Image size and
/// channel count are not options: they come from the run's latent shape.
/// </summary>
public record NcsnppOptions : IValidatableOptions
{
    /// <summary>Base channel count (the official <c>num_channels_dae</c>).</summary>
    public int Nf { get; init; } = 128;

    /// <summary>Channel multiplier per resolution level; its length is the number of levels.</summary>
    public int[] ChMult { get; init; } = [1, 2, 2, 2];

    /// <summary>Residual blocks per level on the way down (one more on the way up).</summary>
    public int NumResBlocks { get; init; } = 2;

    /// <summary>Resolutions (feature-map side lengths) that get self-attention.</summary>
    public int[] AttnResolutions { get; init; } = [16];

    /// <summary>Dropout probability inside the residual blocks.</summary>
    public double Dropout { get; init; } = 0.0;

    /// <summary>Dimension of the latent noise z.</summary>
    public int Nz { get; init; } = 100;

    /// <summary>Width of the mapping network and of its output z_emb.</summary>
    public int ZEmbDim { get; init; } = 256;

    /// <summary>Hidden layers of the mapping network after its first dense layer (4 for 32 px, 3 elsewhere).</summary>
    public int NMlp { get; init; } = 4;

    /// <summary>Time-conditional (the time MLP exists and feeds every residual block).</summary>
    public bool Conditional { get; init; } = true;

    /// <summary>FIR resampling (else nearest-neighbour / average pooling).</summary>
    public bool Fir { get; init; } = true;

    /// <summary>1-D FIR kernel; even length.</summary>
    public int[] FirKernel { get; init; } = [1, 3, 3, 1];

    /// <summary>Divide residual sums by √2.</summary>
    public bool SkipRescale { get; init; } = true;

    /// <summary>Residual block type; only <c>biggan</c> is implemented.</summary>
    public string ResblockType { get; init; } = "biggan";

    /// <summary>Output pyramid; only <c>none</c> is implemented.</summary>
    public string Progressive { get; init; } = "none";

    /// <summary>Input pyramid: <c>none</c>, <c>input_skip</c> or <c>residual</c>.</summary>
    public string ProgressiveInput { get; init; } = "residual";

    /// <summary>How <c>input_skip</c> merges the pyramid: <c>sum</c> or <c>cat</c> (unused otherwise).</summary>
    public string ProgressiveCombine { get; init; } = "sum";

    /// <summary>Time embedding; only <c>positional</c> is implemented.</summary>
    public string EmbeddingType { get; init; } = "positional";

    /// <summary>Return the last convolution's output without tanh.</summary>
    public bool NotUseTanh { get; init; } = false;

    /// <summary>Inputs already lie in [-1, 1]; when false, inputs in [0, 1] are mapped by 2x - 1.</summary>
    public bool Centered { get; init; } = true;

    /// <summary>
    /// Class-conditional network with this many classes (0: unconditional); label num_classes means "no class"
    /// (classifier-free guidance). An extension beyond the papers, which train unconditional models.
    /// </summary>
    public int NumClasses { get; init; }

    /// <summary>
    /// Where the class embedding enters: <c>time</c> (added to the time embedding, as ADM's Gaussian models) or
    /// <c>style</c> (added to the mapped z, so the AdaGN layers are class-conditional, as BigGAN's conditional norms).
    /// </summary>
    public string ClassEmbedding { get; init; } = "time";

    /// <summary>The component name used in error messages.</summary>
    protected virtual string ComponentName => "ncsnpp";

    internal static readonly string[] ProgressiveInputs = ["none", "input_skip", "residual"];
    internal static readonly string[] Combines = ["sum", "cat"];

    public virtual IEnumerable<string> Validate()
    {
        if (Nf < 1) yield return $"nf must be a positive integer, got {Nf}";
        if (ChMult is null || ChMult.Length == 0) yield return "ch_mult must list at least one channel multiplier, e.g. [1, 2, 2, 2]";
        else if (ChMult.Any(m => m < 1)) yield return $"ch_mult entries must be positive integers, got [{string.Join(", ", ChMult)}]";
        if (NumResBlocks < 1) yield return $"num_res_blocks must be at least 1, got {NumResBlocks}";
        if (AttnResolutions is null) yield return "attn_resolutions must be a list of resolutions (it may be empty)";
        else if (AttnResolutions.Any(r => r < 1)) yield return $"attn_resolutions entries must be positive, got [{string.Join(", ", AttnResolutions)}]";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must lie in [0, 1), got {Dropout}";
        if (Nz < 1) yield return $"nz must be a positive integer, got {Nz}";
        if (ZEmbDim < 1) yield return $"z_emb_dim must be a positive integer, got {ZEmbDim}";
        if (NMlp < 0) yield return $"n_mlp must be 0 or more, got {NMlp}";
        if (Nf is > 0 and < 4) yield return $"nf must be at least 4 (the sinusoidal time embedding has nf dimensions), got {Nf}";
        if (FirKernel is null || FirKernel.Length < 2 || FirKernel.Length % 2 != 0)
            yield return $"fir_kernel must have an even number (at least 2) of taps, e.g. [1, 3, 3, 1], got [{string.Join(", ", FirKernel ?? [])}]";
        else if (FirKernel.Sum() == 0) yield return "fir_kernel must not sum to zero";
        if (ResblockType != "biggan")
            yield return $"resblock_type '{ResblockType}' is not implemented; allowed: biggan " +
                         "(the ddpm and biggan_oneadagn blocks are not used by any published DDGAN/WDDGAN/LDDGAN model)";
        if (Progressive != "none")
            yield return $"progressive '{Progressive}' is not implemented; allowed: none " +
                         "(output_skip/residual output pyramids are not used by the published models; the official residual variant cannot run)";
        if (!ProgressiveInputs.Contains(ProgressiveInput))
            yield return $"progressive_input '{ProgressiveInput}' is not supported; allowed: {string.Join(", ", ProgressiveInputs)}";
        if (!Combines.Contains(ProgressiveCombine))
            yield return $"progressive_combine '{ProgressiveCombine}' is not supported; allowed: {string.Join(", ", Combines)}";
        if (NumClasses < 0) yield return $"num_classes must be 0 (unconditional) or the number of classes, got {NumClasses}";
        if (ClassEmbedding is not ("time" or "style")) yield return $"class_embedding must be \"time\" or \"style\", got \"{ClassEmbedding}\"";
        else if (NumClasses > 0 && ClassEmbedding == "time" && !Conditional)
            yield return "class_embedding = \"time\" adds the class to the time embedding, which conditional = false removes: use class_embedding = \"style\"";
        if (EmbeddingType != "positional")
            yield return $"embedding_type '{EmbeddingType}' is not implemented; allowed: positional " +
                         "(fourier takes log(t) of the integer step, log 0 = -inf, so it never works with DDGAN's discrete t)";
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem of <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException($"invalid {ComponentName} options: " + string.Join("; ", errors));
    }
}
