using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// The DDGAN generator: NCSN++ with adaptive group normalisation (<c>ncsnpp_generator_adagn.NCSNpp</c>).
/// G(x_{t+1}, t, z) → x_0 with the shape of x_{t+1}.
/// <para>
/// Sub-modules sit, in the official order, in <c>all_modules</c> (time MLP, conv_in, down path with attention and
/// input pyramid, middle, up path, output norm and conv) and in the mapping network <c>z_transform</c>
/// (PixelNorm at 0, dense layers at 1, 3, 5, …, SiLU in between), so state-dict keys match the official checkpoints.
/// </para>
/// </summary>
public sealed class NcsnppGenerator : Denoiser
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly ModuleList<nn.Module> all_modules;
    private readonly Sequential z_transform;
#pragma warning restore IDE1006
    private readonly Plan _plan;   // typed views of the modules in all_modules (not registered a second time)

    public NcsnppOptions Options { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public override int NoiseDim => Options.Nz;

    /// <param name="options">Validated network options.</param>
    /// <param name="channels">Channels of x (input and output).</param>
    /// <param name="imageSize">Side length of the square input.</param>
    public NcsnppGenerator(NcsnppOptions options, int channels, int imageSize) : base(nameof(NcsnppGenerator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be positive");
        var levels = options.ChMult.Length;
        if (imageSize < 1 || imageSize % (1 << (levels - 1)) != 0)
            throw new ArgumentException(
                $"the image size {imageSize} must be divisible by 2^(len(ch_mult) - 1) = {1 << (levels - 1)} (ch_mult has {levels} levels)");
        Options = options;
        Channels = channels;
        ImageSize = imageSize;

        var nf = options.Nf;
        // The official code gives every block a Dense_0 of width 4·nf, even when not conditional (it is then unused).
        var blockTembDim = 4L * nf;
        var firKernel = options.FirKernel.Select(v => (double)v).ToArray();
        var skipRescale = options.SkipRescale;
        var inputMode = options.ProgressiveInput;
        var concatCombine = options.ProgressiveCombine == "cat";
        var attn = new HashSet<int>(options.AttnResolutions);
        ResnetBlockBigGANppAdagn ResBlock(long inCh, long? outCh = null, Resampling r = Resampling.None) =>
            new(inCh, outCh, blockTembDim, options.ZEmbDim, r, options.Dropout, options.Fir, firKernel, skipRescale, initScale: 0.0);
        AttnBlockpp AttnBlock(long ch) => new(ch, skipRescale, initScale: 0.0);

        var modules = new List<nn.Module>();
        T Add<T>(T m) where T : nn.Module { modules.Add(m); return m; }

        Linear? temb0 = null, temb1 = null;
        if (options.Conditional)
        {
            temb0 = Add(DdpmInit.Linear(nf, 4L * nf));
            temb1 = Add(DdpmInit.Linear(4L * nf, 4L * nf));
        }

        var convIn = Add(DdpmInit.Conv3x3(channels, nf));
        var hsChannels = new Stack<long>();
        hsChannels.Push(nf);
        long inChannels = nf;
        long pyramidChannels = channels;
        var down = new DownLevel[levels];
        for (var level = 0; level < levels; level++)
        {
            var resolution = imageSize >> level;
            var blocks = new ResnetBlockBigGANppAdagn[options.NumResBlocks];
            var attns = new AttnBlockpp?[options.NumResBlocks];
            for (var b = 0; b < options.NumResBlocks; b++)
            {
                var outCh = (long)nf * options.ChMult[level];
                blocks[b] = Add(ResBlock(inChannels, outCh));
                inChannels = outCh;
                if (attn.Contains(resolution)) attns[b] = Add(AttnBlock(inChannels));
                hsChannels.Push(inChannels);
            }
            ResnetBlockBigGANppAdagn? downBlock = null;
            Downsample? pyramidDown = null;
            Combine? combine = null;
            if (level != levels - 1)
            {
                downBlock = Add(ResBlock(inChannels, r: Resampling.Down));
                if (inputMode == "input_skip")
                {
                    combine = Add(new Combine(pyramidChannels, inChannels, concatCombine));
                    if (concatCombine) inChannels *= 2;
                }
                else if (inputMode == "residual")
                {
                    pyramidDown = Add(new Downsample(pyramidChannels, inChannels, withConv: true, fir: options.Fir, firKernel: firKernel));
                    pyramidChannels = inChannels;
                }
                hsChannels.Push(inChannels);
            }
            down[level] = new DownLevel(new NcsnppDownBlocks(blocks, attns), downBlock, pyramidDown, combine);
        }

        inChannels = hsChannels.Peek();
        var mid0 = Add(ResBlock(inChannels));
        var midAttn = Add(AttnBlock(inChannels));
        var mid1 = Add(ResBlock(inChannels));

        var up = new UpLevel[levels];
        for (var level = levels - 1; level >= 0; level--)
        {
            var resolution = imageSize >> level;
            var blocks = new ResnetBlockBigGANppAdagn[options.NumResBlocks + 1];
            for (var b = 0; b <= options.NumResBlocks; b++)
            {
                var outCh = (long)nf * options.ChMult[level];
                blocks[b] = Add(ResBlock(inChannels + hsChannels.Pop(), outCh));
                inChannels = outCh;
            }
            var levelAttn = attn.Contains(resolution) ? Add(AttnBlock(inChannels)) : null;
            var upBlock = level != 0 ? Add(ResBlock(inChannels, r: Resampling.Up)) : null;
            up[level] = new UpLevel(new NcsnppUpBlocks(blocks, levelAttn), upBlock);
        }
        if (hsChannels.Count != 0) throw new InvalidOperationException("skip connections left over; the topology is inconsistent");

        var outNorm = Add(GroupNorms.Affine(AdaptiveGroupNorm.GroupCount(inChannels), inChannels, eps: 1e-6));
        var convOut = Add(DdpmInit.Conv3x3(inChannels, channels, initScale: 0.0));

        all_modules = nn.ModuleList(modules.ToArray());

        z_transform = MappingNetwork.Create(options.Nz, options.ZEmbDim, options.NMlp);

        _plan = new Plan(new NcsnppEnds(temb0, temb1, outNorm, convOut), convIn, down, mid0, midAttn, mid1, up,
                         inputMode != "none", inputMode == "input_skip" ? new Downsample(channels, fir: options.Fir, firKernel: firKernel) : null);
        RegisterComponents();
    }

    /// <summary>Builds the generator for a run: channels and image size from the latent shape (square images only).</summary>
    public static NcsnppGenerator ForShape(NcsnppOptions options, SampleShape shape)
    {
        if (shape.IsVector)
            throw new ArgumentException($"ncsnpp needs image-like samples (C, H, W), got a vector of {shape.Channels}");
        if (shape.Height != shape.Width)
            throw new ArgumentException($"ncsnpp needs square samples, got {shape.Height}x{shape.Width}");
        return new NcsnppGenerator(options, shape.Channels, shape.Height);
    }

    /// <param name="x">x_{t+1}, (B, C, H, W).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, C, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        NcsnppEnds.CheckInput(x, Channels, ImageSize, "ncsnpp");
        using var scope = NewDisposeScope();
        var p = _plan;
        var zemb = z_transform.call(z);

        var temb = p.Ends.TimeEmbedding(t, Options.Nf, x.dtype);

        if (!Options.Centered)
            x = 2 * x - 1.0;

        // Down path
        var pyramid = p.UsesInputPyramid ? x : null;
        var hs = new Stack<Tensor>();
        hs.Push(p.ConvIn.call(x));
        Tensor h;
        foreach (var level in p.Down)
        {
            h = level.Blocks.Run(hs, temb, zemb);
            if (level.DownBlock is null) continue;
            h = level.DownBlock.call(hs.Peek(), temb, zemb);
            if (level.Combine is not null)
            {
                pyramid = p.PyramidResample!.call(pyramid!);
                h = level.Combine.call(pyramid, h);
            }
            else if (level.PyramidDown is not null)
            {
                pyramid = level.PyramidDown.call(pyramid!);
                pyramid = Options.SkipRescale ? (pyramid + h) / Math.Sqrt(2.0) : pyramid + h;
                h = pyramid;
            }
            hs.Push(h);
        }

        // Middle
        h = p.Mid0.call(hs.Peek(), temb, zemb);
        h = p.MidAttention.call(h);
        h = p.Mid1.call(h, temb, zemb);

        // Up path
        for (var i = p.Up.Length - 1; i >= 0; i--)
        {
            var level = p.Up[i];
            h = level.Blocks.Run(h, hs, temb, zemb);
            if (level.UpBlock is not null) h = level.UpBlock.call(h, temb, zemb);
        }

        return p.Ends.Head(h, Options.NotUseTanh).MoveToOuterDisposeScope();
    }

    private sealed record DownLevel(NcsnppDownBlocks Blocks,
                                    ResnetBlockBigGANppAdagn? DownBlock, Downsample? PyramidDown, Combine? Combine);

    private sealed record UpLevel(NcsnppUpBlocks Blocks, ResnetBlockBigGANppAdagn? UpBlock);

    private sealed record Plan(
        NcsnppEnds Ends, Conv2d ConvIn, DownLevel[] Down,
        ResnetBlockBigGANppAdagn Mid0, AttnBlockpp MidAttention, ResnetBlockBigGANppAdagn Mid1,
        UpLevel[] Up, bool UsesInputPyramid, Downsample? PyramidResample);
}
