using LddGan.Abstractions;

namespace LddGan.Plugins.Ddgan;

/// <summary>Options shared by the toy MLPs (keys <c>hidden_dim</c>, <c>num_hidden_layers</c>, <c>fourier_octaves</c>, <c>t_emb_dim</c>, <c>activation</c>).</summary>
public abstract record ToyMlpOptions : IValidatableOptions
{
    internal static readonly string[] Activations = ["silu", "leaky_relu"];

    /// <summary>Width of every hidden layer.</summary>
    public int HiddenDim { get; init; } = 256;

    /// <summary>Number of hidden layers (each Linear + activation).</summary>
    public int NumHiddenLayers { get; init; } = 3;

    /// <summary>Width of the sinusoidal time embedding appended to the input.</summary>
    public int TEmbDim { get; init; } = 32;

    /// <summary>
    /// Octaves of Fourier features of the input coordinates (0: the raw coordinates only). The discriminator defaults
    /// to 6, the generator to 0. Without them, a plain MLP discriminator stayed at chance for thousands of steps while G
    /// kept moving, and a plain MLP generator could not learn the step function "round x_1 to the nearest mode" (even
    /// supervised: 36 % within 3σ after 3,000 steps; 92 % after 2,000 with 4 octaves). With many octaves in D, G's gradient has no
    /// consistent direction. recipes/25-gaussians.toml uses 4 in G and 1 in D (docs/quality-experiments.md).
    /// </summary>
    public int FourierOctaves { get; init; }

    /// <summary>Hidden activation: <c>silu</c> or <c>leaky_relu</c> (slope 0.2).</summary>
    public string Activation { get; init; } = "silu";

    public virtual IEnumerable<string> Validate()
    {
        if (HiddenDim < 1) yield return $"hidden_dim must be a positive integer, got {HiddenDim}";
        if (NumHiddenLayers < 1) yield return $"num_hidden_layers must be at least 1, got {NumHiddenLayers}";
        if (FourierOctaves < 0 || FourierOctaves > 16) yield return $"fourier_octaves must be between 0 and 16, got {FourierOctaves}";
        if (TEmbDim < 4) yield return $"t_emb_dim must be at least 4, got {TEmbDim}";
        if (!Activations.Contains(Activation))
            yield return $"activation '{Activation}' is not supported; allowed: {string.Join(", ", Activations)}";
    }

    internal void ThrowIfInvalid(string component)
    {
        var errors = Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException($"invalid {component} options: " + string.Join("; ", errors));
    }
}

/// <summary>Options of <see cref="ToyMlpGenerator"/>; adds the latent size <c>nz</c>.</summary>
public sealed record ToyMlpGeneratorOptions : ToyMlpOptions
{
    /// <summary>Dimension of the latent noise z.</summary>
    public int Nz { get; init; } = 16;

    public override IEnumerable<string> Validate()
    {
        foreach (var e in base.Validate()) yield return e;
        if (Nz < 1) yield return $"nz must be a positive integer, got {Nz}";
    }
}

/// <summary>Options of <see cref="ToyMlpDiscriminator"/> (LeakyReLU by default, as GAN discriminators usually are).</summary>
public sealed record ToyMlpDiscriminatorOptions : ToyMlpOptions
{
    public ToyMlpDiscriminatorOptions()
    {
        Activation = "leaky_relu";
        FourierOctaves = 6;
    }
}
