using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// The autoencoder's decoder (<c>ldm.modules.diffusionmodules.model.Decoder</c>): conv_in from <c>z_channels</c> →
/// mid (block, attention, block) → from the lowest level up: num_res_blocks + 1 residual blocks (+ attention) and,
/// except at level 0, nearest ×2 + conv → GroupNorm → swish → conv_out → tanh if <c>tanh_out</c>.
/// Keys: <c>conv_in</c>, <c>mid.*</c>, <c>up.{i}.block.{j}</c>, <c>up.{i}.attn.{j}</c>, <c>up.{i}.upsample.conv</c>,
/// <c>norm_out</c>, <c>conv_out</c> (<c>up</c> is indexed by level, as the reference's <c>insert(0, …)</c> leaves it).
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly LdmMiddle mid;
    private readonly ModuleList<LdmLevel> up;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;
    private readonly bool _tanhOut;

    /// <summary>The output convolution's weight, against which VQGAN balances its adversarial term.</summary>
    public Parameter LastLayerWeight => conv_out.weight!;

    public Decoder(VqAutoencoderOptions o, long outChannels, int resolution) : base(nameof(Decoder))
    {
        var levels = o.ChMult.Length;
        long blockIn = (long)o.Ch * o.ChMult[levels - 1];
        var currentResolution = resolution >> (levels - 1);
        conv_in = nn.Conv2d(o.ZChannels, blockIn, 3, padding: 1);
        mid = new LdmMiddle(blockIn, o.Dropout);
        var built = new LdmLevel[levels];
        for (var level = levels - 1; level >= 0; level--)
        {
            var blocks = new List<LdmResnetBlock>();
            var attentions = new List<LdmAttnBlock>();
            long blockOut = (long)o.Ch * o.ChMult[level];
            for (var b = 0; b <= o.NumResBlocks; b++)
            {
                blocks.Add(new LdmResnetBlock(blockIn, blockOut, o.Dropout));
                blockIn = blockOut;
                if (o.AttnResolutions.Contains(currentResolution)) attentions.Add(new LdmAttnBlock(blockIn));
            }
            LdmUpsample? upsample = null;
            if (level != 0)
            {
                upsample = new LdmUpsample(blockIn);
                currentResolution *= 2;
            }
            built[level] = new LdmLevel(blocks, attentions, null, upsample);
        }
        up = nn.ModuleList(built);
        norm_out = LdmNorm.Create(blockIn);
        conv_out = nn.Conv2d(blockIn, outChannels, 3, padding: 1);
        _tanhOut = o.TanhOut;
        RegisterComponents();
    }

    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var h = mid.call(conv_in.call(z));
        for (var level = up.Count - 1; level >= 0; level--)
        {
            h = up[level].Blocks(h);
            if (up[level].upsample is { } upsample) h = upsample.call(h);
        }
        h = conv_out.call(nn.functional.silu(norm_out.call(h)));
        return (_tanhOut ? h.tanh() : h).MoveToOuterDisposeScope();
    }
}
