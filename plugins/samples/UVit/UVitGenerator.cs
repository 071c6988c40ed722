using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Samples.UVit;

/// <summary>
/// A U-ViT generator for denoising diffusion GANs: G(x_{t+1}, t, z) → x_0.
/// <para>
/// Source followed: the official U-ViT (Bao et al., CVPR 2023, "All are Worth Words", github baofff/U-ViT
/// <c>libs/uvit.py</c>, class <c>UViT</c>), used as a DDGAN generator in the way LDDGAN's appendix C describes
/// (Trinh &amp; Hamagami, "Latent Denoising Diffusion GAN"): the LayerNorms become adaptive group norms driven by z.
/// The official LDDGAN repository (thanhluantrinh/LDDGAN @d27380b) has no U-ViT file, so structure and names are
/// U-ViT's; the z mapping network is the DDGAN NCSN++ generator's (<c>z_transform</c>).
/// </para>
/// <code>
/// z_emb  = z_transform(z)                               PixelNorm → dense(nz → z_emb_dim) → SiLU → n_mlp × (dense → SiLU)
/// tokens = patch_embed(x_{t+1})                         (B, L, D), L = (H/p)·(W/p)
/// h      = [time_embed(sin(t)), tokens] + pos_embed     the time is one more token
/// in:      h = in_block_i(h, z_emb), keep h              (depth/2 blocks)
/// middle:  h = mid_block(h, z_emb)
/// out:     h = out_block_i(skip_linear([h, kept.pop()]), z_emb)
/// x_0    = [tanh] final_layer(unpatchify(decoder_pred(AdaGN(h, z_emb))[:, 1:]))
/// </code>
/// </summary>
public sealed class UVitGenerator : Denoiser
{
#pragma warning disable IDE1006 // U-ViT's (and NCSN++'s z_transform) state-dict names
    private readonly Sequential z_transform;
    private readonly PatchEmbed patch_embed;
    private readonly Sequential? time_embed;
    private readonly Parameter pos_embed;
    private readonly ModuleList<UVitBlock> in_blocks;
    private readonly UVitBlock mid_block;
    private readonly ModuleList<UVitBlock> out_blocks;
    private readonly AdaptiveGroupNorm norm;
    private readonly Linear decoder_pred;
    private readonly Conv2d? final_layer;
#pragma warning restore IDE1006

    public UVitOptions Options { get; }

    /// <summary>Shape (C, H, W) of the samples this network denoises.</summary>
    public SampleShape Shape { get; }

    public override int NoiseDim => Options.Nz;

    public UVitGenerator(UVitOptions options, SampleShape shape) : base(nameof(UVitGenerator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (shape.IsVector)
            throw new ArgumentException(
                $"{UVitFactory.ComponentName} needs image-like samples (C, H, W), got a vector of {shape.Channels}; " +
                "use a vector denoiser such as toy-mlp for 2-D data");
        var p = options.PatchSize;
        if (shape.Height % p != 0 || shape.Width % p != 0)
            throw new ArgumentException(
                $"{UVitFactory.ComponentName} cuts the input into {p}x{p} patches (patch_size = {p}); " +
                $"the latent size {shape.Height}x{shape.Width} must be divisible by {p}");
        Options = options;
        Shape = shape;

        long d = options.EmbedDim;
        long zDim = options.ZEmbDim;
        var numPatches = (long)(shape.Height / p) * (shape.Width / p);

        var mapping = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", new PixelNorm()),
            ("1", DenseLayerInit.Dense(options.Nz, zDim)),
            ("2", nn.SiLU()),
        };
        for (var i = 0; i < options.NMlp; i++)
        {
            mapping.Add(((3 + 2 * i).ToString(), DenseLayerInit.Dense(zDim, zDim)));
            mapping.Add(((4 + 2 * i).ToString(), nn.SiLU()));
        }
        z_transform = nn.Sequential(mapping);

        patch_embed = new PatchEmbed(p, shape.Channels, d);
        if (options.MlpTimeEmbed)
            time_embed = nn.Sequential(("0", VitInit.Linear(d, 4 * d)), ("1", nn.SiLU()), ("2", VitInit.Linear(4 * d, d)));

        // One extra position for the time token, which comes first.
        pos_embed = new Parameter(zeros(1, 1 + numPatches, d));
        VitInit.TruncNormal(pos_embed);

        UVitBlock Block(bool skip) => new(d, options.NumHeads, options.MlpRatio, options.QkvBias, zDim, skip);
        in_blocks = new ModuleList<UVitBlock>();
        for (var i = 0; i < options.Depth / 2; i++) in_blocks.Add(Block(skip: false));
        mid_block = Block(skip: false);
        out_blocks = new ModuleList<UVitBlock>();
        for (var i = 0; i < options.Depth / 2; i++) out_blocks.Add(Block(skip: options.Skip));

        norm = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(d), d, zDim);
        decoder_pred = VitInit.Linear(d, (long)p * p * shape.Channels);
        if (options.Conv)
            final_layer = nn.Conv2d(shape.Channels, shape.Channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="x">x_{t+1}, (B, C, H, W).</param>
    /// <param name="t">Step indices of the target state, int64 (B).</param>
    /// <param name="z">Latent noise, (B, nz).</param>
    /// <returns>The predicted x_0, (B, C, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        if (x.dim() != 4 || x.shape[1] != Shape.Channels || x.shape[2] != Shape.Height || x.shape[3] != Shape.Width)
            throw new ArgumentException($"{UVitFactory.ComponentName} expects x of shape (B, {Shape.Channels}, {Shape.Height}, {Shape.Width}), " +
                                        $"got ({string.Join(", ", x.shape)})");
        if (z.dim() != 2 || z.shape[1] != Options.Nz || z.shape[0] != x.shape[0])
            throw new ArgumentException($"{UVitFactory.ComponentName} expects z of shape ({x.shape[0]}, {Options.Nz}), got ({string.Join(", ", z.shape)})");
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"{UVitFactory.ComponentName} expects t of shape ({x.shape[0]}), got ({string.Join(", ", t.shape)})");

        using var scope = NewDisposeScope();
        var zEmb = z_transform.call(z);

        var tokens = patch_embed.call(x);
        var timeEmb = SinusoidalEmbedding.Compute(t, Options.EmbedDim, dtype: x.dtype);
        var timeToken = (time_embed is null ? timeEmb : time_embed.call(timeEmb)).unsqueeze(1);
        var h = cat([timeToken, tokens], 1) + pos_embed;

        var skips = new Stack<Tensor>();
        foreach (var block in in_blocks)
        {
            h = block.call(h, null, zEmb);
            skips.Push(h);
        }
        h = mid_block.call(h, null, zEmb);
        foreach (var block in out_blocks)
        {
            var skip = skips.Pop();
            h = block.call(h, Options.Skip ? skip : null, zEmb);
        }

        h = decoder_pred.call(TokenNorm.Apply(norm, h, zEmb));
        var patches = h.narrow(1, 1, h.shape[1] - 1);  // drop the time token
        var output = Unpatchify(patches);
        if (final_layer is not null)
            output = final_layer.call(output);
        if (!Options.NotUseTanh)
            output = output.tanh();
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>(B, h·w, p·p·C) → (B, C, h·p, w·p), U-ViT's 'B (h w) (p1 p2 C) -> B C (h p1) (w p2)'.</summary>
    private Tensor Unpatchify(Tensor patches)
    {
        long p = Options.PatchSize, c = Shape.Channels;
        long rows = Shape.Height / p, cols = Shape.Width / p;
        return patches.reshape(patches.shape[0], rows, cols, p, p, c)
                      .permute(0, 5, 1, 3, 2, 4)
                      .reshape(patches.shape[0], c, rows * p, cols * p);
    }
}
