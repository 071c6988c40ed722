using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// A small CNN classifier the project trains itself on Fashion-MNIST (recipes/fashion-mnist-feature-net.csx), used where
/// pretrained ImageNet networks cannot be downloaded: its intermediate activations give a perceptual distance
/// (<see cref="FeatureDistance"/>) and its penultimate layer the features of "FID-FMNIST".
/// <code>
/// 32×32 → [conv 3×3 → ReLU] ×2 (32)  → maxpool → 16×16   stage 1
///       → [conv 3×3 → ReLU] ×2 (64)  → maxpool → 8×8     stage 2
///       → conv 3×3 → ReLU (128)      → maxpool → 4×4     stage 3
///       → fc (2048 → 256) → ReLU = features → fc (256 → classes)
/// </code>
/// </summary>
public sealed class FeatureNet : nn.Module<Tensor, Tensor>
{
    private readonly Sequential stage1;
    private readonly Sequential stage2;
    private readonly Sequential stage3;
    private readonly Linear fc1;
    private readonly Linear fc2;

    public long InChannels { get; }
    public const int FeatureDim = 256;

    public FeatureNet(long inChannels = 1, int classes = 10) : base(nameof(FeatureNet))
    {
        InChannels = inChannels;
        stage1 = nn.Sequential(("0", nn.Conv2d(inChannels, 32, 3, padding: 1)), ("1", nn.ReLU()),
                               ("2", nn.Conv2d(32, 32, 3, padding: 1)), ("3", nn.ReLU()));
        stage2 = nn.Sequential(("0", nn.Conv2d(32, 64, 3, padding: 1)), ("1", nn.ReLU()),
                               ("2", nn.Conv2d(64, 64, 3, padding: 1)), ("3", nn.ReLU()));
        stage3 = nn.Sequential(("0", nn.Conv2d(64, 128, 3, padding: 1)), ("1", nn.ReLU()));
        fc1 = nn.Linear(128 * 4 * 4, FeatureDim);
        fc2 = nn.Linear(FeatureDim, classes);
        RegisterComponents();
    }

    /// <summary>The three stage activations (before pooling): 32×32×32, 64×16×16, 128×8×8 for 32-px inputs.</summary>
    public Tensor[] Stages(Tensor x)
    {
        CheckInput(x);
        var a = stage1.call(x);
        var b = stage2.call(nn.functional.max_pool2d(a, 2));
        var c = stage3.call(nn.functional.max_pool2d(b, 2));
        return [a, b, c];
    }

    /// <summary>The penultimate activations (B, 256).</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var stages = Stages(x);
        var pooled = nn.functional.max_pool2d(stages[2], 2).flatten(1);
        return nn.functional.relu(fc1.call(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits (B, classes).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Logits(Features(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits (B, classes) from <see cref="Features"/>' output, for callers that need both.</summary>
    public Tensor Logits(Tensor features) => fc2.call(features);

    private void CheckInput(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != InChannels || x.shape[2] != 32 || x.shape[3] != 32)
            throw new ArgumentException($"the feature network expects (B, {InChannels}, 32, 32) images in [-1, 1], got ({string.Join(", ", x.shape)})");
    }
}
