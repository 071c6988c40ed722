using LddGan.Abstractions;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// Options shared by the DDGAN discriminators. Keys serialise in snake_case (<c>ngf</c>, <c>t_emb_dim</c>,
/// <c>num_layers</c>). The input channel count nc = 2·C comes from the run's latent shape (x and x_{t+1} are
/// concatenated).
/// </summary>
public abstract record DiscriminatorOptions : IValidatableOptions
{
    /// <summary>Base width: the blocks have 2·ngf, 4·ngf and 8·ngf channels.</summary>
    public int Ngf { get; init; } = 64;

    /// <summary>Width of the time embedding (the official training scripts use 256).</summary>
    public int TEmbDim { get; init; } = 256;

    /// <summary>Number of DownConvBlocks (WDDGAN/LDDGAN's <c>num_disc_layers</c>).</summary>
    public int NumLayers { get; init; }

    /// <summary>Smallest and largest supported <see cref="NumLayers"/> of this variant.</summary>
    protected abstract (int Min, int Max) LayerRange();

    public IEnumerable<string> Validate()
    {
        if (Ngf < 1) yield return $"ngf must be a positive integer, got {Ngf}";
        if (TEmbDim < 4) yield return $"t_emb_dim must be at least 4, got {TEmbDim}";
        var (min, max) = LayerRange();
        if (NumLayers < min || NumLayers > max)
            yield return $"num_layers must lie in [{min}, {max}] for this discriminator, got {NumLayers}";
    }

    internal void ThrowIfInvalid(string component)
    {
        var errors = Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException($"invalid {component} options: " + string.Join("; ", errors));
    }
}

/// <summary>
/// Options of <see cref="SmallDiscriminator"/> (<c>Discriminator_small</c>, for 32×32 and smaller inputs).
/// num_layers 4 is DDGAN's; WDDGAN/LDDGAN use 3 on 16×16 inputs.
/// </summary>
public sealed record SmallDiscriminatorOptions : DiscriminatorOptions
{
    public SmallDiscriminatorOptions() => NumLayers = 4;

    protected override (int Min, int Max) LayerRange() => (3, 4);
}

/// <summary>
/// Options of <see cref="LargeDiscriminator"/> (<c>Discriminator_large</c>, 64 px and more).
/// num_layers 6 is DDGAN's 256-px discriminator; WDDGAN/LDDGAN use 4 or 5.
/// </summary>
public sealed record LargeDiscriminatorOptions : DiscriminatorOptions
{
    public LargeDiscriminatorOptions() => NumLayers = 6;

    protected override (int Min, int Max) LayerRange() => (3, 6);
}
