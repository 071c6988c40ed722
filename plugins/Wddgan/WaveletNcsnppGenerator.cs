using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Wddgan;

/// <summary>
/// WDDGAN's wavelet-embedded generator (<c>ncsnpp_generator_adagn.WaveletNCSNpp</c>): NCSN++ with AdaGN whose
/// information flow goes through the Haar transform in three places (Phung et al., 2023, §4.2):
/// <list type="number">
/// <item>frequency-aware down/up blocks (<see cref="WaveletResnetBlockBigGANppAdagn"/>): downsampling keeps LL and hands the
///   high bands to the matching up block, which rebuilds the high frequencies from them with a grouped 3×3 conv;</item>
/// <item>a frequency bottleneck: the middle blocks run on LL/2 and are transformed back, the second one first at full
///   resolution and then again, with the same weights, on the LL band of its own output;</item>
/// <item>a frequency residual input pyramid (<see cref="WaveletDownsample"/>).</item>
/// </list>
/// Module order and state-dict keys are those of the official <c>all_modules</c> / <c>z_transform</c>.
/// The reference's <c>patch_size</c> (CelebA-HQ 1024 only) is not implemented.
/// </summary>
public sealed class WaveletNcsnppGenerator : Denoiser
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly ModuleList<nn.Module> all_modules;
    private readonly Sequential z_transform;
#pragma warning restore IDE1006
    private readonly Plan _plan;   // typed views of the modules in all_modules (not registered a second time)

    public WaveletNcsnppOptions Options { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public override int NoiseDim => Options.Nz;

    /// <param name="options">Validated network options.</param>
    /// <param name="channels">Channels of x (input and output), e.g. 12 for the Haar bands of RGB images.</param>
    /// <param name="imageSize">Side length of the square input (the reference's <c>current_resolution</c>).</param>
    public WaveletNcsnppGenerator(WaveletNcsnppOptions options, int channels, int imageSize) : base(nameof(WaveletNcsnppGenerator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be positive");
        var levels = options.ChMult.Length;
        // The frequency bottleneck halves the lowest resolution once more.
        var halvings = options.NoUseFbn ? levels - 1 : levels;
        if (imageSize < 1 || imageSize % (1 << halvings) != 0)
            throw new ArgumentException(
                $"the input size {imageSize} must be divisible by 2^{halvings} = {1 << halvings} (ch_mult has {levels} levels" +
                (options.NoUseFbn ? ")" : " and the frequency bottleneck halves the lowest one once more)"));
        Options = options;
        Channels = channels;
        ImageSize = imageSize;

        var nf = options.Nf;
        var tembDim = 4L * nf;
        var firKernel = options.FirKernel.Select(v => (double)v).ToArray();
        var skipRescale = options.SkipRescale;
        var inputMode = options.ProgressiveInput;
        var concatCombine = options.ProgressiveCombine == "cat";
        var attn = new HashSet<int>(options.AttnResolutions);
        ResnetBlockBigGANppAdagn ResBlock(long inCh, long? outCh = null, Resampling r = Resampling.None) =>
            new(inCh, outCh, tembDim, options.ZEmbDim, r, options.Dropout, options.Fir, firKernel, skipRescale, initScale: 0.0);
        nn.Module ResamplingBlock(long inCh, Resampling r, long? highInCh = null) => options.NoUseFreq
            ? ResBlock(inCh, r: r)
            : new WaveletResnetBlockBigGANppAdagn(inCh, null, tembDim, options.ZEmbDim, r, highInCh, options.Dropout, skipRescale, initScale: 0.0);
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
        var hsChannels = new Stack<long>([nf]);
        var highChannels = new Stack<long>();   // channels of the bands each down block hands to its up block (hs_c2)
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
                blocks[b] = Add(ResBlock(inChannels, (long)nf * options.ChMult[level]));
                inChannels = blocks[b].OutChannels;
                if (attn.Contains(resolution)) attns[b] = Add(AttnBlock(inChannels));
                hsChannels.Push(inChannels);
            }
            nn.Module? downBlock = null;
            nn.Module<Tensor, Tensor>? pyramidDown = null;
            Combine? combine = null;
            if (level != levels - 1)
            {
                highChannels.Push(inChannels);
                downBlock = Add(ResamplingBlock(inChannels, Resampling.Down));
                if (inputMode == "input_skip")
                {
                    combine = Add(new Combine(pyramidChannels, inChannels, concatCombine));
                    if (concatCombine) inChannels *= 2;
                }
                else if (inputMode == "residual")
                {
                    pyramidDown = options.NoUseResidual
                        ? Add(new Downsample(pyramidChannels, inChannels, withConv: true, fir: options.Fir, firKernel: firKernel))
                        : Add(new WaveletDownsample(pyramidChannels, inChannels));
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
                blocks[b] = Add(ResBlock(inChannels + hsChannels.Pop(), (long)nf * options.ChMult[level]));
                inChannels = blocks[b].OutChannels;
            }
            var levelAttn = attn.Contains(resolution) ? Add(AttnBlock(inChannels)) : null;
            var upBlock = level != 0 ? Add(ResamplingBlock(inChannels, Resampling.Up, highChannels.Pop())) : null;
            up[level] = new UpLevel(new NcsnppUpBlocks(blocks, levelAttn), upBlock);
        }
        if (hsChannels.Count != 0 || highChannels.Count != 0)
            throw new InvalidOperationException("skip connections left over; the topology is inconsistent");

        var outNorm = Add(GroupNorms.Affine(AdaptiveGroupNorm.GroupCount(inChannels), inChannels, eps: 1e-6));
        var convOut = Add(DdpmInit.Conv3x3(inChannels, channels, initScale: 0.0));

        all_modules = nn.ModuleList(modules.ToArray());
        z_transform = MappingNetwork.Create(options.Nz, options.ZEmbDim, options.NMlp);

        _plan = new Plan(new NcsnppEnds(temb0, temb1, outNorm, convOut), convIn, down, mid0, midAttn, mid1, up,
                         inputMode != "none", inputMode == "input_skip" ? new Downsample(channels, fir: options.Fir, firKernel: firKernel) : null);
        RegisterComponents();
    }

    /// <summary>Builds the generator for a run: channels and size from the latent shape (square inputs only).</summary>
    public static WaveletNcsnppGenerator ForShape(WaveletNcsnppOptions options, SampleShape shape)
    {
        if (shape.IsVector)
            throw new ArgumentException($"wavelet-ncsnpp needs image-like samples (C, H, W), got a vector of {shape.Channels}");
        if (shape.Height != shape.Width)
            throw new ArgumentException($"wavelet-ncsnpp needs square samples, got {shape.Height}x{shape.Width}");
        return new WaveletNcsnppGenerator(options, shape.Channels, shape.Height);
    }

    /// <param name="x">x_{t+1}, (B, C, H, W) — in WDDGAN the Haar bands of the noisy image.</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, C, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        NcsnppEnds.CheckInput(x, Channels, ImageSize, "wavelet-ncsnpp");
        using var scope = NewDisposeScope();
        var p = _plan;
        var zemb = z_transform.call(z);

        var temb = p.Ends.TimeEmbedding(t, Options.Nf, x.dtype);

        if (!Options.Centered)
            x = 2 * x - 1.0;

        // Down path: skip features on hs, high bands of each frequency-aware down block on skipHigh.
        var pyramid = p.UsesInputPyramid ? x : null;
        var hs = new Stack<Tensor>();
        var skipHigh = new Stack<HaarDetailBands>();
        hs.Push(p.ConvIn.call(x));
        Tensor h;
        foreach (var level in p.Down)
        {
            h = level.Blocks.Run(hs, temb, zemb);
            if (level.DownBlock is null) continue;
            if (level.DownBlock is WaveletResnetBlockBigGANppAdagn wavelet)
            {
                (h, var high) = wavelet.Down(hs.Peek(), temb, zemb);
                skipHigh.Push(high);
            }
            else
            {
                h = ((ResnetBlockBigGANppAdagn)level.DownBlock).call(hs.Peek(), temb, zemb);
            }
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

        // Middle, with the frequency bottleneck: the blocks see the LL band, the high bands pass around them.
        h = Options.NoUseFbn ? p.Mid0.call(hs.Peek(), temb, zemb) : OnLowBand(p.Mid0, hs.Peek(), temb, zemb);
        h = p.MidAttention.call(h);
        h = p.Mid1.call(h, temb, zemb);
        if (!Options.NoUseFbn)
            h = OnLowBand(p.Mid1, h, temb, zemb);   // the same block again, on its own output's LL band

        // Up path
        for (var i = p.Up.Length - 1; i >= 0; i--)
        {
            var level = p.Up[i];
            h = level.Blocks.Run(h, hs, temb, zemb);
            h = level.UpBlock switch
            {
                null => h,
                WaveletResnetBlockBigGANppAdagn wavelet => wavelet.Up(h, temb, zemb, skipHigh.Pop()),
                var plain => ((ResnetBlockBigGANppAdagn)plain).call(h, temb, zemb),
            };
        }

        return p.Ends.Head(h, Options.NotUseTanh).MoveToOuterDisposeScope();
    }

    /// <summary>IDWT(2·block(LL/2), LH, HL, HH): the block works at half the resolution on the low band only.</summary>
    private static Tensor OnLowBand(ResnetBlockBigGANppAdagn block, Tensor h, Tensor? temb, Tensor zemb)
    {
        var (ll, lh, hl, hh) = HaarWavelet.Bands(h);
        var low = block.call(ll / 2.0, temb, zemb);
        return HaarWavelet.FromBands(low * 2.0, lh, hl, hh);
    }

    private sealed record DownLevel(NcsnppDownBlocks Blocks,
                                    nn.Module? DownBlock, nn.Module<Tensor, Tensor>? PyramidDown, Combine? Combine);

    private sealed record UpLevel(NcsnppUpBlocks Blocks, nn.Module? UpBlock);

    private sealed record Plan(
        NcsnppEnds Ends, Conv2d ConvIn, DownLevel[] Down,
        ResnetBlockBigGANppAdagn Mid0, AttnBlockpp MidAttention, ResnetBlockBigGANppAdagn Mid1,
        UpLevel[] Up, bool UsesInputPyramid, Downsample? PyramidResample);
}
