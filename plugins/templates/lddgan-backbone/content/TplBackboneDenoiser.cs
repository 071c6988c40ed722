using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGanBackbone;

/// <summary>
/// The generator G(x_{t+1}, t, z) → x_0 of a denoising diffusion GAN: a compact U-Net conditioned on the step t
/// (time embedding added in every residual block) and on the latent noise z (PixelNorm + MLP mapping network
/// whose output drives an adaptive group norm, AdaGN, in every block).
/// <code>
/// z_emb = mapping(z)                 PixelNorm → dense(nz → z_emb_dim) → SiLU → n_mlp × (dense → SiLU)
/// t_emb = time_embedding(t)          sinusoidal(t_emb_dim) → dense → LeakyReLU → dense
/// h     = conv_in(x_{t+1})
/// down:   per level num_res_blocks × block(h, t_emb, z_emb), keep h as the skip, then a stride-2 conv (not after the last level)
/// middle: block
/// up:     per level (coarsest first) h = (h + skip)/√2, num_res_blocks × block, then nearest ×2 + conv (not after the first level)
/// x_0   = [tanh] conv_out(SiLU(AdaGN(h, z_emb)))
/// </code>
/// The field names below are the checkpoint's state-dict keys (<c>mapping.1.weight</c>, <c>down.0.norm0.style.bias</c>, …):
/// once you publish weights, renaming a field breaks loading them.
/// </summary>
public sealed class TplBackboneDenoiser : Denoiser
{
    private readonly Sequential mapping;
    private readonly TimestepEmbedding timeEmbedding;
    private readonly Conv2d convIn;
    private readonly ModuleList<AdaGnResBlock> down;
    private readonly ModuleList<Conv2d> downsample;
    private readonly AdaGnResBlock mid;
    private readonly ModuleList<AdaGnResBlock> up;
    private readonly ModuleList<Conv2d> upsample;
    private readonly AdaptiveGroupNorm normOut;
    private readonly Conv2d convOut;

    public TplBackboneOptions Options { get; }

    /// <summary>Shape (C, H, W) of the samples this network denoises.</summary>
    public SampleShape Shape { get; }

    public override int NoiseDim => Options.Nz;

    public TplBackboneDenoiser(TplBackboneOptions options, SampleShape shape) : base(nameof(TplBackboneDenoiser))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (shape.IsVector)
            throw new ArgumentException(
                $"{TplBackboneFactory.ComponentName} needs image-like samples (C, H, W), got a vector of {shape.Channels}; " +
                "use a vector denoiser such as toy-mlp for 2-D data");
        var levels = options.ChMult.Length;
        var factor = 1 << (levels - 1);
        if (shape.Height % factor != 0 || shape.Width % factor != 0)
            throw new ArgumentException(
                $"{TplBackboneFactory.ComponentName} with {levels} levels (ch_mult) halves the resolution {levels - 1} times; " +
                $"the latent size {shape.Height}x{shape.Width} must be divisible by {factor}");
        Options = options;
        Shape = shape;

        var mappingLayers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", new PixelNorm()),
            ("1", DenseLayerInit.Dense(options.Nz, options.ZEmbDim)),
            ("2", nn.SiLU()),
        };
        for (var i = 0; i < options.NMlp; i++)
        {
            mappingLayers.Add(((3 + 2 * i).ToString(), DenseLayerInit.Dense(options.ZEmbDim, options.ZEmbDim)));
            mappingLayers.Add(((4 + 2 * i).ToString(), nn.SiLU()));
        }
        mapping = nn.Sequential(mappingLayers);
        timeEmbedding = new TimestepEmbedding(options.TEmbDim, options.TEmbDim, options.TEmbDim);

        long Channels(int level) => (long)options.Nf * options.ChMult[level];
        var ch = Channels(0);
        convIn = DdpmInit.Conv3x3(shape.Channels, ch);

        down = new ModuleList<AdaGnResBlock>();
        downsample = new ModuleList<Conv2d>();
        for (var level = 0; level < levels; level++)
        {
            for (var b = 0; b < options.NumResBlocks; b++)
            {
                down.Add(new AdaGnResBlock(ch, Channels(level), options.TEmbDim, options.ZEmbDim));
                ch = Channels(level);
            }
            if (level < levels - 1)
                downsample.Add(DdpmInit.Conv3x3(ch, ch, stride: 2));
        }

        mid = new AdaGnResBlock(ch, ch, options.TEmbDim, options.ZEmbDim);

        up = new ModuleList<AdaGnResBlock>();
        upsample = new ModuleList<Conv2d>();
        for (var level = levels - 1; level >= 0; level--)
        {
            for (var b = 0; b < options.NumResBlocks; b++)
                up.Add(new AdaGnResBlock(ch, ch, options.TEmbDim, options.ZEmbDim));
            if (level > 0)
            {
                upsample.Add(DdpmInit.Conv3x3(ch, Channels(level - 1)));
                ch = Channels(level - 1);
            }
        }

        normOut = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(ch), ch, options.ZEmbDim);
        convOut = DdpmInit.Conv3x3(ch, shape.Channels);
        RegisterComponents();
    }

    /// <param name="x">x_{t+1}, (B, C, H, W).</param>
    /// <param name="t">Step indices of the target state, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, C, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        if (x.dim() != 4 || x.shape[1] != Shape.Channels || x.shape[2] != Shape.Height || x.shape[3] != Shape.Width)
            throw new ArgumentException($"{TplBackboneFactory.ComponentName} expects x of shape (B, {Shape.Channels}, {Shape.Height}, {Shape.Width}), " +
                                        $"got ({string.Join(", ", x.shape)})");
        if (z.dim() != 2 || z.shape[1] != Options.Nz || z.shape[0] != x.shape[0])
            throw new ArgumentException($"{TplBackboneFactory.ComponentName} expects z of shape ({x.shape[0]}, {Options.Nz}), got ({string.Join(", ", z.shape)})");
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"{TplBackboneFactory.ComponentName} expects t of shape ({x.shape[0]}), got ({string.Join(", ", t.shape)})");

        // Every temporary made in here is disposed at the end of the scope; only the result moves out.
        using var scope = NewDisposeScope();
        var zEmb = mapping.call(z);
        var tEmb = timeEmbedding.call(t);
        var levels = Options.ChMult.Length;

        var h = convIn.call(x);
        var skips = new List<Tensor>(levels);
        var block = 0;
        for (var level = 0; level < levels; level++)
        {
            for (var b = 0; b < Options.NumResBlocks; b++)
                h = down[block++].call(h, tEmb, zEmb);
            skips.Add(h);
            if (level < levels - 1)
                h = downsample[level].call(h);
        }

        h = mid.call(h, tEmb, zEmb);

        block = 0;
        for (var level = levels - 1; level >= 0; level--)
        {
            h = (h + skips[level]) / Math.Sqrt(2.0);
            for (var b = 0; b < Options.NumResBlocks; b++)
                h = up[block++].call(h, tEmb, zEmb);
            if (level > 0)
                h = upsample[levels - 1 - level].call(NaiveResample.Upsample2d(h));
        }

        var output = convOut.call(nn.functional.silu(normOut.call(h, zEmb)));
        if (Options.OutputTanh)
            output = output.tanh();
        return output.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A residual block conditioned on t and z:
/// h = Conv0(SiLU(AdaGN0(x, z_emb))) + timeProj(SiLU(t_emb)); h = Conv1(SiLU(AdaGN1(h, z_emb))); out = (skip(x) + h)/√2.
/// Conv1 starts near zero, so each block starts close to its skip path. State-dict keys: <c>norm0.style.*</c>,
/// <c>conv0.*</c>, <c>timeProj.*</c>, <c>norm1.style.*</c>, <c>conv1.*</c>, <c>skip.*</c> (1×1, only when the channels change).
/// </summary>
public sealed class AdaGnResBlock : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly AdaptiveGroupNorm norm0;
    private readonly Conv2d conv0;
    private readonly Linear timeProj;
    private readonly AdaptiveGroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Conv2d? skip;

    public AdaGnResBlock(long inChannels, long outChannels, long tEmbDim, long zEmbDim) : base(nameof(AdaGnResBlock))
    {
        norm0 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(inChannels), inChannels, zEmbDim);
        conv0 = DdpmInit.Conv3x3(inChannels, outChannels);
        timeProj = DdpmInit.Linear(tEmbDim, outChannels);
        norm1 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(outChannels), outChannels, zEmbDim);
        conv1 = DdpmInit.Conv3x3(outChannels, outChannels, initScale: 0.0);
        if (inChannels != outChannels)
            skip = DdpmInit.Conv1x1(inChannels, outChannels);
        RegisterComponents();
    }

    /// <param name="x">(B, C_in, H, W).</param>
    /// <param name="tEmb">(B, t_emb_dim).</param>
    /// <param name="zEmb">(B, z_emb_dim).</param>
    /// <returns>(B, C_out, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor tEmb, Tensor zEmb)
    {
        using var scope = NewDisposeScope();
        var h = conv0.call(nn.functional.silu(norm0.call(x, zEmb)));
        h = h + timeProj.call(nn.functional.silu(tEmb)).unsqueeze(-1).unsqueeze(-1);
        h = conv1.call(nn.functional.silu(norm1.call(h, zEmb)));
        var shortcut = skip is null ? x : skip.call(x);
        return ((shortcut + h) / Math.Sqrt(2.0)).MoveToOuterDisposeScope();
    }
}
