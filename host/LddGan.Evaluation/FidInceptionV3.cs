using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// The Inception network of standard FID: pytorch-fid's <c>FIDInceptionV3</c> (TensorFlow's "2015-12-05" Inception
/// graph ported to PyTorch, weights <c>pt_inception-2015-12-05-6726825d.pth</c>), up to the 2048-d average pool.
/// Module names are pytorch-fid's, so the release weights load key for key (<see cref="LoadWeights"/>); its 1008-class
/// <c>fc.*</c> head is not built. Always in inference mode: BatchNorm uses the running statistics.
/// <code>
/// 299×299×3 → Conv2d_1a_3x3 (32, s2) → Conv2d_2a_3x3 (32) → Conv2d_2b_3x3 (64, p1) → maxpool 3/2      73×73×64
///           → Conv2d_3b_1x1 (80) → Conv2d_4a_3x3 (192) → maxpool 3/2                                35×35×192
///           → Mixed_5b, 5c, 5d (FIDInceptionA; pool features 32, 64, 64)                            35×35×288
///           → Mixed_6a (InceptionB) → Mixed_6b..6e (FIDInceptionC; c7 = 128, 160, 160, 192)          17×17×768
///           → Mixed_7a (InceptionD) → Mixed_7b (FIDInceptionE_1) → Mixed_7c (FIDInceptionE_2)       8×8×2048
///           → global average pool                                                                  2048
/// </code>
/// </summary>
public sealed class FidInceptionV3 : nn.Module<Tensor, Tensor>, IFeatureExtractor
{
    /// <summary>pytorch-fid resizes every image to this side length before the network.</summary>
    public const int InputSize = 299;

    /// <summary>Length of the pool3 feature vector.</summary>
    public const int FeatureDim = 2048;

    private readonly InceptionConv Conv2d_1a_3x3;
    private readonly InceptionConv Conv2d_2a_3x3;
    private readonly InceptionConv Conv2d_2b_3x3;
    private readonly InceptionConv Conv2d_3b_1x1;
    private readonly InceptionConv Conv2d_4a_3x3;
    private readonly FidInceptionA Mixed_5b;
    private readonly FidInceptionA Mixed_5c;
    private readonly FidInceptionA Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly FidInceptionC Mixed_6b;
    private readonly FidInceptionC Mixed_6c;
    private readonly FidInceptionC Mixed_6d;
    private readonly FidInceptionC Mixed_6e;
    private readonly InceptionD Mixed_7a;
    private readonly FidInceptionE Mixed_7b;
    private readonly FidInceptionE Mixed_7c;

    /// <summary>Builds the network with untrained weights; call <see cref="LoadWeights"/> before computing FID.</summary>
    public FidInceptionV3() : base(nameof(FidInceptionV3))
    {
        Conv2d_1a_3x3 = new InceptionConv(3, 32, 3, stride: 2);
        Conv2d_2a_3x3 = new InceptionConv(32, 32, 3);
        Conv2d_2b_3x3 = new InceptionConv(32, 64, 3, padding: 1);
        Conv2d_3b_1x1 = new InceptionConv(64, 80, 1);
        Conv2d_4a_3x3 = new InceptionConv(80, 192, 3);
        Mixed_5b = new FidInceptionA(192, poolFeatures: 32);
        Mixed_5c = new FidInceptionA(256, poolFeatures: 64);
        Mixed_5d = new FidInceptionA(288, poolFeatures: 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new FidInceptionC(768, channels7x7: 128);
        Mixed_6c = new FidInceptionC(768, channels7x7: 160);
        Mixed_6d = new FidInceptionC(768, channels7x7: 160);
        Mixed_6e = new FidInceptionC(768, channels7x7: 192);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new FidInceptionE(1280, InceptionEPool.TfAverage);
        Mixed_7c = new FidInceptionE(2048, InceptionEPool.Max);
        RegisterComponents();
        foreach (var p in parameters()) p.requires_grad = false;
        eval();
    }

    /// <summary>Feature-extractor name ("inception": FID with pytorch-fid's network).</summary>
    public string Name => "inception";

    /// <summary>Feature length (2048).</summary>
    public int Dim => FeatureDim;

    /// <summary>Identifies the loaded weights for the reference-feature cache (the weight file's SHA-256 once loaded from a file).</summary>
    public string Fingerprint { get; private set; } = "inception:unloaded";

    /// <summary>
    /// Loads pytorch-fid's weights from a user's file (safetensors, or a torch.save zip read without running code; see
    /// docs/evaluation-inception.md for the name and the conversion) and moves the network to <paramref name="device"/>.
    /// </summary>
    public static FidInceptionV3 FromFile(string weightsPath, Device? device = null)
    {
        string path = Path.GetFullPath(weightsPath);
        var network = new FidInceptionV3();
        try
        {
            var weights = Interop.StateDictFile.Read(path);
            try { network.LoadWeights(weights, path); }
            finally { foreach (var t in weights.Values) t.Dispose(); }
        }
        catch
        {
            network.Dispose();
            throw;
        }
        using (var stream = File.OpenRead(path))
            network.Fingerprint = "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)).ToLowerInvariant();
        if (device is not null && device.type != DeviceType.CPU) network.to(device);
        return network;
    }

    /// <summary>
    /// Pool3 features of framework images: (B, 1 or 3, H, W) in [-1, 1] → (B, 2048) float32 on this network's device.
    /// Follows pytorch-fid's <c>InceptionV3(resize_input=True, normalize_input=True)</c> exactly (see
    /// <see cref="Preprocess"/>). Runs without gradients; the caller chooses the batch size (a 299×299 image needs
    /// roughly 30 MB of activations).
    /// </summary>
    public Tensor Extract(Tensor images) => Extract(images, observe: null);

    public string? Refuses(SampleShape shape) => shape.IsVector || shape.Channels is not (1 or 3)
        ? $"the Inception network reads 1- or 3-channel images, and these samples are {shape}."
        : null;

    /// <summary><see cref="Extract(Tensor)"/>, showing <paramref name="observe"/> the network input ("preprocessed") and the stages of <see cref="Run"/>.</summary>
    internal Tensor Extract(Tensor images, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = Conv2d_1a_3x3.parameters().First().device;
        var x = Preprocess(images.to(device));
        observe?.Invoke("preprocessed", x);
        return Run(x, observe).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The input pipeline: 1-channel images are repeated to 3 channels (the network was trained on RGB), [-1, 1] is
    /// mapped to pytorch-fid's [0, 1], resized bilinearly to 299×299 (<c>align_corners=False</c>, no antialiasing, also
    /// when already 299×299, where it is the identity), then scaled to the [-1, 1] the TF graph expects.
    /// </summary>
    public static Tensor Preprocess(Tensor images)
    {
        if (images.dim() != 4 || (images.shape[1] != 1 && images.shape[1] != 3))
            throw new ArgumentException(
                $"the Inception feature extractor expects images (B, 1 or 3, H, W) in [-1, 1], got ({string.Join(", ", images.shape)})",
                nameof(images));
        using var scope = NewDisposeScope();
        var x = images.to_type(ScalarType.Float32);
        if (x.shape[1] == 1) x = x.repeat(1, 3, 1, 1);
        var unit = (x + 1) / 2;
        var resized = nn.functional.interpolate(unit, [InputSize, InputSize], mode: InterpolationMode.Bilinear,
            align_corners: false);
        return (2 * resized - 1).MoveToOuterDisposeScope();
    }

    /// <summary>Network input (B, 3, H, W) already preprocessed (values in [-1, 1], normally 299×299) → (B, 2048).</summary>
    public override Tensor forward(Tensor x) => Run(x, observe: null);

    /// <summary>
    /// The forward pass; <paramref name="observe"/> sees the outputs of Conv2d_4a_3x3, Mixed_5d, Mixed_6e and Mixed_7c
    /// (tensors disposed after the pass: read them inside the callback).
    /// </summary>
    internal Tensor Run(Tensor x, Action<string, Tensor>? observe)
    {
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException(
                $"the Inception network expects preprocessed input (B, 3, H, W), got ({string.Join(", ", x.shape)}); use Extract for images");
        using var scope = NewDisposeScope();
        x = Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(x)));
        x = InceptionPooling.MaxPool3x3Stride2(x);
        x = Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(x));
        observe?.Invoke(nameof(Conv2d_4a_3x3), x);
        x = InceptionPooling.MaxPool3x3Stride2(x);
        x = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(x)));
        observe?.Invoke(nameof(Mixed_5d), x);
        x = Mixed_6a.call(x);
        x = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(x))));
        observe?.Invoke(nameof(Mixed_6e), x);
        x = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(x)));
        observe?.Invoke(nameof(Mixed_7c), x);
        return nn.functional.adaptive_avg_pool2d(x, [1, 1]).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Copies weights by pytorch-fid's state-dict names (e.g. <c>Mixed_6b.branch7x7_2.conv.weight</c>,
    /// <c>Conv2d_1a_3x3.bn.running_var</c>). Everything is checked before anything is copied: a missing key, an unknown
    /// key or a wrong shape throws <see cref="InceptionWeightsException"/> naming <paramref name="source"/> and every
    /// offending key. The classifier head <c>fc.weight</c>/<c>fc.bias</c> of the release file is ignored (not part of
    /// the pool3 features); <c>*.num_batches_tracked</c> may be absent (the release file predates it; inference never
    /// reads it). Floating tensors of any precision are converted to float32 on this network's device.
    /// </summary>
    public InceptionWeightsLoaded LoadWeights(IReadOnlyDictionary<string, Tensor> weights, string source = "the weight dictionary")
    {
        var targets = state_dict();
        var plan = InceptionWeightCheck.Plan(targets, weights, source);
        using var noGrad = no_grad();
        foreach (var key in plan.Load) targets[key].copy_(weights[key]);
        return new InceptionWeightsLoaded(plan.Load.Count, plan.Ignored);
    }
}

/// <summary>What <see cref="FidInceptionV3.LoadWeights"/> did: how many entries it copied and which it ignored (the fc head).</summary>
public sealed record InceptionWeightsLoaded(int Loaded, IReadOnlyList<string> Ignored);
