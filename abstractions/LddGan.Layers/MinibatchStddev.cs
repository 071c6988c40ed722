using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// StyleGAN2 minibatch standard deviation as in the DDGAN discriminators: with G = min(B, group_size), the batch is
/// viewed as (G, B/G, F, C/F, H, W) (sample b sits in group slot b mod B/G), the biased standard deviation over G
/// (+1e-8 under the root) is averaged over C/F, H and W, and the resulting F maps are tiled back and appended as
/// extra channels: (B, C, H, W) → (B, C + F, H, W). B must be divisible by G.
/// </summary>
public sealed class MinibatchStddev : nn.Module<Tensor, Tensor>
{
    public int GroupSize { get; }
    public int NumFeatures { get; }

    public MinibatchStddev(int groupSize = 4, int numFeatures = 1) : base(nameof(MinibatchStddev))
    {
        if (groupSize < 1) throw new ArgumentOutOfRangeException(nameof(groupSize));
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures));
        GroupSize = groupSize;
        NumFeatures = numFeatures;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var group = Math.Min(batch, GroupSize);
        if (batch % group != 0)
            throw new ArgumentException($"minibatch stddev needs a batch size divisible by its group size {group}, got {batch}: " +
                $"make the training batch size ([train] batch_size) a multiple of {group}");
        if (channels % NumFeatures != 0)
            throw new ArgumentException($"minibatch stddev needs channels ({channels}) divisible by its feature count {NumFeatures}");
        using var scope = NewDisposeScope();
        var grouped = x.view(group, -1, NumFeatures, channels / NumFeatures, height, width);
        var std = (grouped.var(0, unbiased: false) + 1e-8).sqrt();               // (B/G, F, C/F, H, W)
        var mapped = std.mean([2, 3, 4], keepdim: true).squeeze(2);              // (B/G, F, 1, 1)
        var tiled = mapped.repeat(group, 1, height, width);                      // (B, F, H, W)
        var output = cat([x, tiled], 1);
        return output.MoveToOuterDisposeScope();
    }
}
