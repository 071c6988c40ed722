using LddGan.Layers;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>An MLP trunk: num_hidden_layers × (Linear → activation) → Linear(hidden → out). Keys <c>net.{i}.*</c>.</summary>
internal static class ToyMlp
{
    public static nn.Module<Tensor, Tensor> Build(long inFeatures, long outFeatures, ToyMlpOptions options)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var width = inFeatures;
        for (var i = 0; i < options.NumHiddenLayers; i++)
        {
            layers.Add(((2 * i).ToString(), nn.Linear(width, options.HiddenDim)));
            layers.Add(((2 * i + 1).ToString(), options.Activation == "silu" ? nn.SiLU() : nn.LeakyReLU(0.2)));
            width = options.HiddenDim;
        }
        layers.Add(((2 * options.NumHiddenLayers).ToString(), nn.Linear(width, outFeatures)));
        return nn.Sequential(layers);
    }

    /// <summary>
    /// Coordinates followed by their Fourier features [sin(2^k·π·v), cos(2^k·π·v)], k = 0..octaves−1 (NeRF's positional
    /// encoding). Without them an MLP's spectral bias keeps it from resolving narrow modes, or from producing them, in a short run.
    /// </summary>
    public static Tensor Encode(Tensor v, int octaves)
    {
        if (octaves == 0) return v.alias();
        using var scope = NewDisposeScope();
        var frequencies = pow(2.0, arange(octaves, dtype: v.dtype, device: v.device)) * Math.PI;   // (K)
        var angles = (v.unsqueeze(-1) * frequencies).flatten(1);                                      // (B, D·K)
        return cat([v, angles.sin(), angles.cos()], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Width of <see cref="Encode"/>'s output for <paramref name="dim"/> coordinates.</summary>
    public static long EncodedWidth(long dim, int octaves) => dim * (1 + 2 * octaves);

    public static void CheckVector(Tensor v, long dim, string what, string component)
    {
        if (v.dim() != 2 || v.shape[1] != dim)
            throw new ArgumentException($"{component} expects {what} of shape (B, {dim}), got ({string.Join(", ", v.shape)})");
    }
}

/// <summary>
/// Generator for 2-D toy data (the 25-Gaussians mixture): x_0 = MLP(cat[fourier(x_{t+1}), z, sinusoidal(t)]), linear output.
/// </summary>
public sealed class ToyMlpGenerator : LddGan.Abstractions.Denoiser
{
    private readonly nn.Module<Tensor, Tensor> net;

    public ToyMlpGeneratorOptions Options { get; }
    public int DataDim { get; }
    public override int NoiseDim => Options.Nz;

    public ToyMlpGenerator(ToyMlpGeneratorOptions options, int dataDim = 2) : base(nameof(ToyMlpGenerator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid("toy-mlp denoiser");
        if (dataDim < 1) throw new ArgumentOutOfRangeException(nameof(dataDim), dataDim, "dataDim must be positive");
        Options = options;
        DataDim = dataDim;
        net = ToyMlp.Build(ToyMlp.EncodedWidth(dataDim, options.FourierOctaves) + options.Nz + options.TEmbDim, dataDim, options);
        RegisterComponents();
    }

    /// <param name="x">x_{t+1}, (B, D).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, D).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        ToyMlp.CheckVector(x, DataDim, "x", "toy-mlp denoiser");
        ToyMlp.CheckVector(z, Options.Nz, "z", "toy-mlp denoiser");
        using var scope = NewDisposeScope();
        var input = cat([ToyMlp.Encode(x, Options.FourierOctaves), z, SinusoidalEmbedding.Compute(t, Options.TEmbDim, dtype: x.dtype)], 1);
        return net.call(input).MoveToOuterDisposeScope();
    }
}

/// <summary>Discriminator for 2-D toy data: logit = MLP(cat[fourier(x_t), fourier(x_{t+1}), sinusoidal(t)]), shape (B, 1).</summary>
public sealed class ToyMlpDiscriminator : LddGan.Abstractions.Discriminator
{
    private readonly nn.Module<Tensor, Tensor> net;

    public ToyMlpDiscriminatorOptions Options { get; }
    public int DataDim { get; }

    public ToyMlpDiscriminator(ToyMlpDiscriminatorOptions options, int dataDim = 2) : base(nameof(ToyMlpDiscriminator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid("toy-mlp discriminator");
        if (dataDim < 1) throw new ArgumentOutOfRangeException(nameof(dataDim), dataDim, "dataDim must be positive");
        Options = options;
        DataDim = dataDim;
        net = ToyMlp.Build(2 * ToyMlp.EncodedWidth(dataDim, options.FourierOctaves) + options.TEmbDim, 1, options);
        RegisterComponents();
    }

    /// <param name="x">The less noisy sample x_t, (B, D).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="xCond">The condition x_{t+1}, (B, D).</param>
    /// <returns>Logits, (B, 1).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor xCond)
    {
        ToyMlp.CheckVector(x, DataDim, "x", "toy-mlp discriminator");
        ToyMlp.CheckVector(xCond, DataDim, "x_cond", "toy-mlp discriminator");
        using var scope = NewDisposeScope();
        var input = cat([ToyMlp.Encode(x, Options.FourierOctaves), ToyMlp.Encode(xCond, Options.FourierOctaves), SinusoidalEmbedding.Compute(t, Options.TEmbDim, dtype: x.dtype)], 1);
        return net.call(input).MoveToOuterDisposeScope();
    }
}
