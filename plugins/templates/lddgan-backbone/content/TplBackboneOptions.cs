using LddGan.Abstractions;

namespace LddGanBackbone;

/// <summary>
/// Options of <see cref="TplBackboneDenoiser"/>, set in a recipe's <c>[generator]</c> table. Every public
/// init property is a recipe key in snake_case (<c>Nf</c> → <c>nf</c>, <c>ChMult</c> → <c>ch_mult</c>,
/// <c>TEmbDim</c> → <c>t_emb_dim</c>); what a recipe leaves out keeps the default written here. Unknown keys and
/// wrong types are rejected by the host; <see cref="Validate"/> checks the values and names the key in each message.
/// Image size and channel count are not options: they come from the run's latent shape.
/// </summary>
public sealed record TplBackboneOptions : IValidatableOptions
{
    /// <summary>Base channel count; level i has nf · ch_mult[i] channels.</summary>
    public int Nf { get; init; } = 32;

    /// <summary>Channel multiplier per resolution level; its length is the number of levels (each further level halves H and W).</summary>
    public int[] ChMult { get; init; } = [1, 2];

    /// <summary>Residual blocks per level, on the way down and again on the way up.</summary>
    public int NumResBlocks { get; init; } = 1;

    /// <summary>Dimension of the latent noise z (the denoiser's <c>NoiseDim</c>).</summary>
    public int Nz { get; init; } = 32;

    /// <summary>Width of the z mapping network and of its output z_emb, which drives every AdaGN.</summary>
    public int ZEmbDim { get; init; } = 64;

    /// <summary>Dense layers of the mapping network after its first one (PixelNorm → dense → n_mlp × dense).</summary>
    public int NMlp { get; init; } = 2;

    /// <summary>Width of the time embedding (sinusoidal, then a two-layer MLP).</summary>
    public int TEmbDim { get; init; } = 64;

    /// <summary>Squash the output with tanh (data in [-1, 1], as pixels are); set false for unbounded latent spaces.</summary>
    public bool OutputTanh { get; init; } = true;

    public IEnumerable<string> Validate()
    {
        if (Nf < 1) yield return $"nf must be a positive integer, got {Nf}";
        if (ChMult is null || ChMult.Length == 0) yield return "ch_mult must list at least one channel multiplier, e.g. [1, 2]";
        else if (ChMult.Length > 6) yield return $"ch_mult may have at most 6 levels, got {ChMult.Length}";
        else if (ChMult.Any(m => m < 1)) yield return $"ch_mult entries must be positive integers, got [{string.Join(", ", ChMult)}]";
        else if (Nf >= 1)
            foreach (var m in ChMult.Distinct())
            {
                // AdaGN normalises C channels in min(C/4, 32) groups, which must divide C.
                var channels = (long)Nf * m;
                var groups = Math.Min(channels / 4, 32);
                if (groups < 1 || channels % groups != 0)
                    yield return $"nf · ch_mult = {Nf} · {m} = {channels} channels cannot be split into min(C/4, 32) GroupNorm groups; " +
                                 "choose nf and ch_mult so that every nf · ch_mult entry is a multiple of 4 (and of 32 above 128)";
            }
        if (NumResBlocks < 1) yield return $"num_res_blocks must be at least 1, got {NumResBlocks}";
        if (Nz < 1) yield return $"nz must be a positive integer, got {Nz}";
        if (ZEmbDim < 1) yield return $"z_emb_dim must be a positive integer, got {ZEmbDim}";
        if (NMlp < 0) yield return $"n_mlp must be 0 or more, got {NMlp}";
        if (TEmbDim < 4) yield return $"t_emb_dim must be at least 4 (sinusoidal embedding), got {TEmbDim}";
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem found by <see cref="Validate"/>.</summary>
    internal void ThrowIfInvalid()
    {
        var errors = Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException($"invalid {TplBackboneFactory.ComponentName} options: " + string.Join("; ", errors));
    }
}
