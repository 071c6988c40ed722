using LddGan.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// NCSN++ with adaptive group normalisation (<c>ncsnpp_generator_adagn.NCSNpp</c>): the generator
/// G(x_{t+1}, t, z) → x_0, with the shape of x_{t+1}, that DDGAN and WDDGAN share. It builds the U-Net in the official
/// module order and runs it; a variant overrides the hooks for what it changes: the blocks that halve and double the
/// resolution, the downsampling of the residual input pyramid, and the middle.
/// <para>
/// Sub-modules sit, in the official order, in <c>all_modules</c> (time MLP, conv_in, down path with attention and
/// input pyramid, middle, up path, output norm and conv) and in the mapping network <c>z_transform</c>
/// (PixelNorm at 0, dense layers at 1, 3, 5, …, SiLU in between), so state-dict keys match the official checkpoints.
/// The construction hooks run inside this constructor, in module order (which is also the initialisation order); they
/// may read <see cref="Options"/>, nothing a derived constructor sets.
/// </para>
/// </summary>
/// <typeparam name="TOptions">The variant's options.</typeparam>
public abstract class NcsnppGeneratorSkeleton<TOptions> : Denoiser where TOptions : NcsnppOptions
{
#pragma warning disable IDE1006 // official state-dict names
    // private protected, not private: RegisterComponents reflects over the derived type, which sees no private base fields.
    private protected readonly ModuleList<nn.Module> all_modules;
    private protected readonly Sequential z_transform;
    private protected readonly Embedding? class_embed;   // only in class-conditional networks: official checkpoints keep their keys
#pragma warning restore IDE1006
    private readonly Plan _plan;   // typed views of the modules in all_modules (not registered a second time)
    private readonly double[] _firKernel;
    private readonly string _component;

    public TOptions Options { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public override int NoiseDim => Options.Nz;
    public override int NumClasses => Options.NumClasses;

    /// <param name="name">The module name.</param>
    /// <param name="component">The component name in error messages (<c>ncsnpp</c>, <c>wavelet-ncsnpp</c>).</param>
    /// <param name="options">Network options; validated here.</param>
    /// <param name="channels">Channels of x (input and output).</param>
    /// <param name="imageSize">Side length of the square input.</param>
    protected NcsnppGeneratorSkeleton(string name, string component, TOptions options, int channels, int imageSize) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be positive");
        Options = options;
        Channels = channels;
        ImageSize = imageSize;
        _component = component;
        _firKernel = options.FirKernel.Select(v => (double)v).ToArray();
        CheckImageSize(imageSize);

        var modules = new List<nn.Module>();
        var unet = BuildUNet(modules);
        all_modules = nn.ModuleList(modules.ToArray());
        z_transform = MappingNetwork.Create(options.Nz, options.ZEmbDim, options.NMlp);
        if (options.NumClasses > 0)
            class_embed = nn.Embedding(options.NumClasses + 1, options.ClassEmbedding == "style" ? options.ZEmbDim : BlockTimeEmbeddingDim);
        // input_skip downsamples the pyramid without parameters: not an entry of all_modules.
        _plan = unet with
        {
            PyramidResample = options.ProgressiveInput == "input_skip" ? new Downsample(channels, fir: options.Fir, firKernel: _firKernel) : null,
        };
        RegisterComponents();
    }

    /// <summary>What halves the lowest level's resolution once more inside the middle (named in the size error), or null when nothing does.</summary>
    protected virtual string? MiddleHalving => null;

    /// <summary>The block at the end of a level on the way down that halves the resolution: by default a residual block with FIR or naive resampling.</summary>
    protected virtual nn.Module CreateDownsamplingBlock(long channels) => CreateResBlock(channels, resampling: Resampling.Down);

    /// <summary>The block at the end of a level on the way up that doubles the resolution; <paramref name="downChannels"/> are the channels its counterpart on the way down saw.</summary>
    protected virtual nn.Module CreateUpsamplingBlock(long channels, long downChannels) => CreateResBlock(channels, resampling: Resampling.Up);

    /// <summary>The downsampling of the input pyramid for <c>progressive_input = residual</c>: by default FIR (or naive) filtering, then a 3×3 stride-2 conv.</summary>
    protected virtual nn.Module<Tensor, Tensor> CreatePyramidDownsample(long inChannels, long outChannels) =>
        new Downsample(inChannels, outChannels, withConv: true, fir: Options.Fir, firKernel: _firKernel);

    /// <summary>Runs the middle on the output of the down path: by default block → attention → block.</summary>
    protected virtual Tensor RunMiddle(NcsnppMiddle middle, Tensor h, Tensor? temb, Tensor zemb) => middle.Run(h, temb, zemb);

    /// <summary>The residual block of NCSN++ (<c>ResnetBlockBigGANpp_Adagn</c>) with this network's options.</summary>
    protected ResnetBlockBigGANppAdagn CreateResBlock(long inChannels, long? outChannels = null, Resampling resampling = Resampling.None) =>
        new(inChannels, outChannels, BlockTimeEmbeddingDim, Options.ZEmbDim, resampling, Options.Dropout, Options.Fir, _firKernel,
            Options.SkipRescale, initScale: 0.0);

    /// <summary>The width of every block's Dense_0: 4·nf, as in the official code even when not conditional (it is then unused).</summary>
    protected long BlockTimeEmbeddingDim => 4L * Options.Nf;

    /// <summary>The channels and side length of a run's samples, which must be square images.</summary>
    protected static (int Channels, int ImageSize) SquareImage(SampleShape shape, string component)
    {
        if (shape.IsVector)
            throw new ArgumentException($"{component} needs image-like samples (C, H, W), got a vector of {shape.Channels}");
        if (shape.Height != shape.Width)
            throw new ArgumentException($"{component} needs square samples, got {shape.Height}x{shape.Width}");
        return (shape.Channels, shape.Height);
    }

    /// <param name="x">x_{t+1}, (B, C, H, W).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, C, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z) => Run(x, t, z, null);

    /// <summary>The class-conditional network: the labels' embedding is added to the time embedding or to the mapped z (<c>class_embedding</c>).</summary>
    /// <param name="classLabels">int64 (B), 0 … num_classes; num_classes means "no class".</param>
    public override Tensor forward(Tensor x, Tensor t, Tensor z, Tensor classLabels)
    {
        if (class_embed is null) return base.forward(x, t, z, classLabels);
        ArgumentNullException.ThrowIfNull(classLabels);
        return Run(x, t, z, classLabels);
    }

    private Tensor Run(Tensor x, Tensor t, Tensor z, Tensor? classLabels)
    {
        NcsnppEnds.CheckInput(x, Channels, ImageSize, _component);
        if (class_embed is not null && classLabels is null)
            throw new ArgumentException($"{_component} is class-conditional (num_classes = {Options.NumClasses}): call it with class labels " +
                                        $"(label {Options.NumClasses} for \"no class\").", nameof(classLabels));
        using var scope = NewDisposeScope();
        var p = _plan;
        var zemb = z_transform.call(z);
        var temb = p.Ends.TimeEmbedding(t, Options.Nf, x.dtype);
        if (class_embed is not null)
        {
            var embedded = class_embed.call(classLabels!.to(x.device));
            if (Options.ClassEmbedding == "style") zemb = zemb + embedded;
            else temb = temb! + embedded;
        }

        if (!Options.Centered)
            x = 2 * x - 1.0;

        // Down path: every output on the skip stack hs; high bands a frequency-aware downsampling takes away on highBands.
        var pyramid = p.UsesInputPyramid ? x : null;
        var hs = new Stack<Tensor>();
        var highBands = new Stack<HaarDetailBands>();
        hs.Push(p.ConvIn.call(x));
        Tensor h;
        foreach (var level in p.Down)
        {
            h = level.Blocks.Run(hs, temb, zemb);
            if (level.Downsampling is null) continue;
            h = level.Downsampling.Down(hs.Peek(), temb, zemb, highBands);
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

        h = RunMiddle(p.Middle, hs.Peek(), temb, zemb);

        // Up path: each block on cat[h, skip]; an upsampling takes back the high bands of its counterpart on the way down.
        for (var i = p.Up.Length - 1; i >= 0; i--)
        {
            var level = p.Up[i];
            h = level.Blocks.Run(h, hs, temb, zemb);
            if (level.Upsampling is not null) h = level.Upsampling.Up(h, temb, zemb, highBands);
        }

        return p.Ends.Head(h, Options.NotUseTanh).MoveToOuterDisposeScope();
    }

    private void CheckImageSize(int imageSize)
    {
        var levels = Options.ChMult.Length;
        var middleHalving = MiddleHalving;
        var divisor = 1 << (middleHalving is null ? levels - 1 : levels);
        if (imageSize >= 1 && imageSize % divisor == 0) return;
        throw new ArgumentException(middleHalving is null
            ? $"the image size {imageSize} must be divisible by 2^(len(ch_mult) - 1) = {divisor} (ch_mult has {levels} levels)"
            : $"the image size {imageSize} must be divisible by 2^len(ch_mult) = {divisor} (ch_mult has {levels} levels and {middleHalving} halves the lowest one once more)");
    }

    /// <summary>Builds the U-Net, adding its modules to <paramref name="modules"/> in the official order.</summary>
    private Plan BuildUNet(List<nn.Module> modules)
    {
        T Add<T>(T module) where T : nn.Module { modules.Add(module); return module; }
        INcsnppResamplingBlock AddResampling(nn.Module block) => Add(block) as INcsnppResamplingBlock
            ?? throw new InvalidOperationException($"{block.GetType().Name} cannot resample an NCSN++ level: it does not implement {nameof(INcsnppResamplingBlock)}");
        AttnBlockpp Attention(long channels) => new(channels, Options.SkipRescale, initScale: 0.0);

        var nf = Options.Nf;
        var levels = Options.ChMult.Length;
        var attentionResolutions = new HashSet<int>(Options.AttnResolutions);
        var inputPyramid = Options.ProgressiveInput;
        var concatenate = Options.ProgressiveCombine == "cat";

        Linear? temb0 = null, temb1 = null;
        if (Options.Conditional)
        {
            temb0 = Add(DdpmInit.Linear(nf, 4L * nf));
            temb1 = Add(DdpmInit.Linear(4L * nf, 4L * nf));
        }
        var convIn = Add(DdpmInit.Conv3x3(Channels, nf));

        // Channels of the skip connections (the official hs_c), and those each downsampling saw, for its up-path counterpart.
        var skipChannels = new Stack<long>([nf]);
        var downsampledChannels = new Stack<long>();
        long channels = nf;
        long pyramidChannels = Channels;
        var down = new DownLevel[levels];
        for (var level = 0; level < levels; level++)
        {
            var levelChannels = (long)nf * Options.ChMult[level];
            var blocks = new ResnetBlockBigGANppAdagn[Options.NumResBlocks];
            var attentions = new AttnBlockpp?[Options.NumResBlocks];
            for (var b = 0; b < Options.NumResBlocks; b++)
            {
                blocks[b] = Add(CreateResBlock(channels, levelChannels));
                channels = levelChannels;
                if (attentionResolutions.Contains(ImageSize >> level)) attentions[b] = Add(Attention(channels));
                skipChannels.Push(channels);
            }
            INcsnppResamplingBlock? downsampling = null;
            nn.Module<Tensor, Tensor>? pyramidDown = null;
            Combine? combine = null;
            if (level != levels - 1)
            {
                downsampledChannels.Push(channels);
                downsampling = AddResampling(CreateDownsamplingBlock(channels));
                if (inputPyramid == "input_skip")
                {
                    combine = Add(new Combine(pyramidChannels, channels, concatenate));
                    if (concatenate) channels *= 2;
                }
                else if (inputPyramid == "residual")
                {
                    pyramidDown = Add(CreatePyramidDownsample(pyramidChannels, channels));
                    pyramidChannels = channels;
                }
                skipChannels.Push(channels);
            }
            down[level] = new DownLevel(new NcsnppDownBlocks(blocks, attentions), downsampling, pyramidDown, combine);
        }

        channels = skipChannels.Peek();
        var middleFirst = Add(CreateResBlock(channels));
        var middleAttention = Add(Attention(channels));
        var middleSecond = Add(CreateResBlock(channels));

        var up = new UpLevel[levels];
        for (var level = levels - 1; level >= 0; level--)
        {
            var levelChannels = (long)nf * Options.ChMult[level];
            var blocks = new ResnetBlockBigGANppAdagn[Options.NumResBlocks + 1];
            for (var b = 0; b <= Options.NumResBlocks; b++)
            {
                blocks[b] = Add(CreateResBlock(channels + skipChannels.Pop(), levelChannels));
                channels = levelChannels;
            }
            var attention = attentionResolutions.Contains(ImageSize >> level) ? Add(Attention(channels)) : null;
            var upsampling = level != 0 ? AddResampling(CreateUpsamplingBlock(channels, downsampledChannels.Pop())) : null;
            up[level] = new UpLevel(new NcsnppUpBlocks(blocks, attention), upsampling);
        }
        if (skipChannels.Count != 0 || downsampledChannels.Count != 0)
            throw new InvalidOperationException("skip connections left over; the topology is inconsistent");

        var outNorm = Add(GroupNorms.Affine(AdaptiveGroupNorm.GroupCount(channels), channels, eps: 1e-6));
        var convOut = Add(DdpmInit.Conv3x3(channels, Channels, initScale: 0.0));

        return new Plan(new NcsnppEnds(temb0, temb1, outNorm, convOut), convIn, down,
                        new NcsnppMiddle(middleFirst, middleAttention, middleSecond), up, inputPyramid != "none", PyramidResample: null);
    }

    private sealed record DownLevel(NcsnppDownBlocks Blocks, INcsnppResamplingBlock? Downsampling,
                                    nn.Module<Tensor, Tensor>? PyramidDown, Combine? Combine);

    private sealed record UpLevel(NcsnppUpBlocks Blocks, INcsnppResamplingBlock? Upsampling);

    private sealed record Plan(NcsnppEnds Ends, Conv2d ConvIn, DownLevel[] Down, NcsnppMiddle Middle, UpLevel[] Up,
                               bool UsesInputPyramid, Downsample? PyramidResample);
}
