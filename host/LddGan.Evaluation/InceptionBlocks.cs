using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

// The blocks of pytorch-fid's FID Inception (torchvision's Inception3 blocks with pytorch-fid's patches). Field names are
// the PyTorch attribute names, so state-dict keys match pytorch-fid's weight file one to one. Every block is inference
// only: BatchNorm always uses its running statistics (the TF graph had no training mode).

/// <summary>Conv (no bias) → BatchNorm (eps 0.001, running statistics) → ReLU; keys <c>conv.weight</c>, <c>bn.*</c>.</summary>
internal sealed class InceptionConv : nn.Module<Tensor, Tensor>
{
    private const double BatchNormEps = 0.001;

    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    public InceptionConv(long inChannels, long outChannels, (long H, long W) kernel, (long H, long W) stride = default,
        (long H, long W) padding = default) : base(nameof(InceptionConv))
    {
        stride = stride == default ? (1, 1) : stride;
        conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: false);
        bn = nn.BatchNorm2d(outChannels, eps: BatchNormEps);
        RegisterComponents();
    }

    public InceptionConv(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding))
    {
    }

    public override Tensor forward(Tensor x)
    {
        using var y = conv.call(x);
        // Functional form with training: false, so a train() call elsewhere cannot switch to batch statistics.
        using var normalized = nn.functional.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias,
            training: false, eps: BatchNormEps);
        return nn.functional.relu(normalized);
    }
}

/// <summary>The pooling steps of the Inception blocks.</summary>
internal static class InceptionPooling
{
    /// <summary>
    /// 3×3 stride-1 average pool that leaves the zero padding out of the mean, as TensorFlow does (pytorch-fid's patch
    /// of torchvision's blocks, which count the padding).
    /// </summary>
    public static Tensor TfAveragePool3x3(Tensor x) =>
        nn.functional.avg_pool2d(x, [3, 3], stride: [1, 1], padding: [1, 1], count_include_pad: false);

    /// <summary>3×3 stride-1 max pool with padding 1 (the pool branch of FIDInceptionE_2).</summary>
    public static Tensor MaxPool3x3SamePadding(Tensor x) =>
        nn.functional.max_pool2d(x, [3, 3], strides: [1, 1], padding: [1, 1]);

    /// <summary>3×3 stride-2 max pool without padding (the stem and the grid reductions).</summary>
    public static Tensor MaxPool3x3Stride2(Tensor x) => nn.functional.max_pool2d(x, [3, 3], strides: [2, 2]);
}

/// <summary>FIDInceptionA (Mixed_5b/c/d): 1×1, 5×5, double 3×3 and TF-average-pool branches; 224 + pool_features channels out.</summary>
internal sealed class FidInceptionA : nn.Module<Tensor, Tensor>
{
    private readonly InceptionConv branch1x1;
    private readonly InceptionConv branch5x5_1;
    private readonly InceptionConv branch5x5_2;
    private readonly InceptionConv branch3x3dbl_1;
    private readonly InceptionConv branch3x3dbl_2;
    private readonly InceptionConv branch3x3dbl_3;
    private readonly InceptionConv branch_pool;

    public FidInceptionA(long inChannels, long poolFeatures) : base(nameof(FidInceptionA))
    {
        branch1x1 = new InceptionConv(inChannels, 64, 1);
        branch5x5_1 = new InceptionConv(inChannels, 48, 1);
        branch5x5_2 = new InceptionConv(48, 64, 5, padding: 2);
        branch3x3dbl_1 = new InceptionConv(inChannels, 64, 1);
        branch3x3dbl_2 = new InceptionConv(64, 96, 3, padding: 1);
        branch3x3dbl_3 = new InceptionConv(96, 96, 3, padding: 1);
        branch_pool = new InceptionConv(inChannels, poolFeatures, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = branch1x1.call(x);
        var b = branch5x5_2.call(branch5x5_1.call(x));
        var c = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        var d = branch_pool.call(InceptionPooling.TfAveragePool3x3(x));
        return cat([a, b, c, d], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionB (Mixed_6a): grid reduction 35 → 17 (stride-2 3×3, stride-2 double 3×3, max pool); 480 + in channels out.</summary>
internal sealed class InceptionB : nn.Module<Tensor, Tensor>
{
    private readonly InceptionConv branch3x3;
    private readonly InceptionConv branch3x3dbl_1;
    private readonly InceptionConv branch3x3dbl_2;
    private readonly InceptionConv branch3x3dbl_3;

    public InceptionB(long inChannels) : base(nameof(InceptionB))
    {
        branch3x3 = new InceptionConv(inChannels, 384, 3, stride: 2);
        branch3x3dbl_1 = new InceptionConv(inChannels, 64, 1);
        branch3x3dbl_2 = new InceptionConv(64, 96, 3, padding: 1);
        branch3x3dbl_3 = new InceptionConv(96, 96, 3, stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = branch3x3.call(x);
        var b = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        var c = InceptionPooling.MaxPool3x3Stride2(x);
        return cat([a, b, c], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>FIDInceptionC (Mixed_6b..6e): factorised 7×7 branches of width channels_7x7 and a TF-average-pool branch; 768 out.</summary>
internal sealed class FidInceptionC : nn.Module<Tensor, Tensor>
{
    private readonly InceptionConv branch1x1;
    private readonly InceptionConv branch7x7_1;
    private readonly InceptionConv branch7x7_2;
    private readonly InceptionConv branch7x7_3;
    private readonly InceptionConv branch7x7dbl_1;
    private readonly InceptionConv branch7x7dbl_2;
    private readonly InceptionConv branch7x7dbl_3;
    private readonly InceptionConv branch7x7dbl_4;
    private readonly InceptionConv branch7x7dbl_5;
    private readonly InceptionConv branch_pool;

    public FidInceptionC(long inChannels, long channels7x7) : base(nameof(FidInceptionC))
    {
        var c7 = channels7x7;
        branch1x1 = new InceptionConv(inChannels, 192, 1);
        branch7x7_1 = new InceptionConv(inChannels, c7, 1);
        branch7x7_2 = Row(c7, c7);
        branch7x7_3 = Column(c7, 192);
        branch7x7dbl_1 = new InceptionConv(inChannels, c7, 1);
        branch7x7dbl_2 = Column(c7, c7);
        branch7x7dbl_3 = Row(c7, c7);
        branch7x7dbl_4 = Column(c7, c7);
        branch7x7dbl_5 = Row(c7, 192);
        branch_pool = new InceptionConv(inChannels, 192, 1);
        RegisterComponents();
    }

    private static InceptionConv Row(long cin, long cout) => new(cin, cout, (1, 7), padding: (0, 3));
    private static InceptionConv Column(long cin, long cout) => new(cin, cout, (7, 1), padding: (3, 0));

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = branch1x1.call(x);
        var b = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
        var c = branch7x7dbl_1.call(x);
        c = branch7x7dbl_2.call(c);
        c = branch7x7dbl_3.call(c);
        c = branch7x7dbl_4.call(c);
        c = branch7x7dbl_5.call(c);
        var d = branch_pool.call(InceptionPooling.TfAveragePool3x3(x));
        return cat([a, b, c, d], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionD (Mixed_7a): grid reduction 17 → 8 (3×3 and factorised 7×7 then stride-2 3×3, max pool); 512 + in channels out.</summary>
internal sealed class InceptionD : nn.Module<Tensor, Tensor>
{
    private readonly InceptionConv branch3x3_1;
    private readonly InceptionConv branch3x3_2;
    private readonly InceptionConv branch7x7x3_1;
    private readonly InceptionConv branch7x7x3_2;
    private readonly InceptionConv branch7x7x3_3;
    private readonly InceptionConv branch7x7x3_4;

    public InceptionD(long inChannels) : base(nameof(InceptionD))
    {
        branch3x3_1 = new InceptionConv(inChannels, 192, 1);
        branch3x3_2 = new InceptionConv(192, 320, 3, stride: 2);
        branch7x7x3_1 = new InceptionConv(inChannels, 192, 1);
        branch7x7x3_2 = new InceptionConv(192, 192, (1, 7), padding: (0, 3));
        branch7x7x3_3 = new InceptionConv(192, 192, (7, 1), padding: (3, 0));
        branch7x7x3_4 = new InceptionConv(192, 192, 3, stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = branch3x3_2.call(branch3x3_1.call(x));
        var b = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
        var c = InceptionPooling.MaxPool3x3Stride2(x);
        return cat([a, b, c], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Which pooling the pool branch of an E block uses.</summary>
internal enum InceptionEPool
{
    /// <summary>FIDInceptionE_1 (Mixed_7b): TensorFlow-style average pool.</summary>
    TfAverage,

    /// <summary>FIDInceptionE_2 (Mixed_7c): max pool, as in the TF 2015-12-05 graph (the paper says average).</summary>
    Max,
}

/// <summary>FIDInceptionE_1 / FIDInceptionE_2 (Mixed_7b, Mixed_7c): expanded 1×3 / 3×1 branches; 2048 out.</summary>
internal sealed class FidInceptionE : nn.Module<Tensor, Tensor>
{
    private readonly InceptionConv branch1x1;
    private readonly InceptionConv branch3x3_1;
    private readonly InceptionConv branch3x3_2a;
    private readonly InceptionConv branch3x3_2b;
    private readonly InceptionConv branch3x3dbl_1;
    private readonly InceptionConv branch3x3dbl_2;
    private readonly InceptionConv branch3x3dbl_3a;
    private readonly InceptionConv branch3x3dbl_3b;
    private readonly InceptionConv branch_pool;
    private readonly InceptionEPool _pool;

    public FidInceptionE(long inChannels, InceptionEPool pool) : base(nameof(FidInceptionE))
    {
        _pool = pool;
        branch1x1 = new InceptionConv(inChannels, 320, 1);
        branch3x3_1 = new InceptionConv(inChannels, 384, 1);
        branch3x3_2a = new InceptionConv(384, 384, (1, 3), padding: (0, 1));
        branch3x3_2b = new InceptionConv(384, 384, (3, 1), padding: (1, 0));
        branch3x3dbl_1 = new InceptionConv(inChannels, 448, 1);
        branch3x3dbl_2 = new InceptionConv(448, 384, 3, padding: 1);
        branch3x3dbl_3a = new InceptionConv(384, 384, (1, 3), padding: (0, 1));
        branch3x3dbl_3b = new InceptionConv(384, 384, (3, 1), padding: (1, 0));
        branch_pool = new InceptionConv(inChannels, 192, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = branch1x1.call(x);
        var b = branch3x3_1.call(x);
        b = cat([branch3x3_2a.call(b), branch3x3_2b.call(b)], 1);
        var c = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
        c = cat([branch3x3dbl_3a.call(c), branch3x3dbl_3b.call(c)], 1);
        var pooled = _pool == InceptionEPool.Max
            ? InceptionPooling.MaxPool3x3SamePadding(x)
            : InceptionPooling.TfAveragePool3x3(x);
        var d = branch_pool.call(pooled);
        return cat([a, b, c, d], 1).MoveToOuterDisposeScope();
    }
}
