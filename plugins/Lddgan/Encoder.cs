using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// The autoencoder's encoder (<c>ldm.modules.diffusionmodules.model.Encoder</c>, <c>double_z = false</c>):
/// conv_in → per level: residual blocks (+ attention) and, except at the last level, a stride-2 downsample →
/// mid (block, attention, block) → GroupNorm → swish → conv_out to <c>z_channels</c>.
/// Keys: <c>conv_in</c>, <c>down.{i}.block.{j}</c>, <c>down.{i}.attn.{j}</c>, <c>down.{i}.downsample.conv</c>, <c>mid.*</c>, <c>norm_out</c>, <c>conv_out</c>.
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly ModuleList<LdmLevel> down;
    private readonly LdmMiddle mid;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;

    public Encoder(VqAutoencoderOptions o, long inChannels, int resolution) : base(nameof(Encoder))
    {
        conv_in = nn.Conv2d(inChannels, o.Ch, 3, padding: 1);
        var levels = new List<LdmLevel>();
        long blockIn = o.Ch;
        var currentResolution = resolution;
        for (var level = 0; level < o.ChMult.Length; level++)
        {
            var blocks = new List<LdmResnetBlock>();
            var attentions = new List<LdmAttnBlock>();
            long blockOut = (long)o.Ch * o.ChMult[level];
            for (var b = 0; b < o.NumResBlocks; b++)
            {
                blocks.Add(new LdmResnetBlock(blockIn, blockOut, o.Dropout));
                blockIn = blockOut;
                if (o.AttnResolutions.Contains(currentResolution)) attentions.Add(new LdmAttnBlock(blockIn));
            }
            LdmDownsample? downsample = null;
            if (level != o.ChMult.Length - 1)
            {
                downsample = new LdmDownsample(blockIn);
                currentResolution /= 2;
            }
            levels.Add(new LdmLevel(blocks, attentions, downsample, null));
        }
        down = nn.ModuleList(levels.ToArray());
        mid = new LdmMiddle(blockIn, o.Dropout);
        norm_out = LdmNorm.Create(blockIn);
        conv_out = nn.Conv2d(blockIn, o.ZChannels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.call(x);
        foreach (var level in down)
        {
            h = level.Blocks(h);
            if (level.downsample is not null) h = level.downsample.call(h);
        }
        h = mid.call(h);
        return conv_out.call(nn.functional.silu(norm_out.call(h))).MoveToOuterDisposeScope();
    }
}
