using LddGan.Abstractions;
using LddGan.Interop;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// LPIPS (Zhang et al. 2018), VGG16 variant, as the taming-transformers copy that VQGAN/LDDGAN train with
/// (<c>taming/modules/losses/lpips.py</c>): inputs in [−1, 1] are shifted and scaled, passed through VGG16's feature layers,
/// the activations after relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 are unit-normalised over channels, their squared
/// differences weighted per channel by a 1×1 convolution (<c>lin0..lin4</c>) and averaged over positions, and the five
/// terms summed. State-dict keys follow that module (<c>scaling_layer.shift</c>, <c>net.slice1.0.weight</c>,
/// <c>lin0.model.1.weight</c>), so its weights load as they are. Grey-scale images are repeated to three channels.
/// The network is frozen. The reference runs it in evaluation mode, where its dropout before each 1×1 convolution is the
/// identity, so the dropout is left out (the convolution keeps index 1 of <c>model</c>) and training mode changes nothing.
/// </summary>
public sealed class Lpips : PerceptualLoss
{
    private static readonly int[] Channels = [64, 128, 256, 512, 512];

    private readonly LpipsScalingLayer scaling_layer;
    private readonly Vgg16Slices net;
    private readonly LpipsLinearLayer lin0;
    private readonly LpipsLinearLayer lin1;
    private readonly LpipsLinearLayer lin2;
    private readonly LpipsLinearLayer lin3;
    private readonly LpipsLinearLayer lin4;

    public Lpips() : base(nameof(Lpips))
    {
        scaling_layer = new LpipsScalingLayer();
        net = new Vgg16Slices();
        lin0 = new LpipsLinearLayer(Channels[0]);
        lin1 = new LpipsLinearLayer(Channels[1]);
        lin2 = new LpipsLinearLayer(Channels[2]);
        lin3 = new LpipsLinearLayer(Channels[3]);
        lin4 = new LpipsLinearLayer(Channels[4]);
        RegisterComponents();
        Freeze();
    }

    /// <summary>Per-image distance, shape (B).</summary>
    public override Tensor forward(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var featuresX = net.call(scaling_layer.call(ToRgb(x)));
        var featuresY = net.call(scaling_layer.call(ToRgb(y)));
        LpipsLinearLayer[] lins = [lin0, lin1, lin2, lin3, lin4];
        Tensor total = zeros([x.shape[0]], dtype: x.dtype, device: x.device);
        for (var k = 0; k < lins.Length; k++)
        {
            var difference = (UnitNormalise(featuresX[k]) - UnitNormalise(featuresY[k])).square();
            total = total + lins[k].call(difference).mean([1, 2, 3]);
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Copies weights in: LPIPS keys (<c>net.sliceK.N.*</c>, <c>linK.model.1.weight</c>, optional <c>scaling_layer.*</c>) or
    /// torchvision VGG16 keys (<c>features.N.*</c>, mapped onto the slices; <c>classifier.*</c> ignored), from one or more
    /// dictionaries (e.g. torchvision's VGG16 file and LPIPS's <c>vgg.pth</c>). Every VGG and lin weight must be found once.
    /// </summary>
    public LoadReport LoadWeights(params IReadOnlyDictionary<string, Tensor>[] sources)
    {
        var own = state_dict();
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        var mismatched = new List<string>();
        foreach (var source in sources)
            foreach (var (key, value) in source)
            {
                string? target = Vgg16Slices.MapTorchvisionKey(key) is { } mapped ? "net." + mapped : key;
                if (key.StartsWith("classifier.", StringComparison.Ordinal)) continue;
                if (!own.TryGetValue(target, out var parameter)) { unexpected.Add(key); continue; }
                if (!parameter.shape.SequenceEqual(value.shape))
                {
                    mismatched.Add($"{key}: file ({string.Join(", ", value.shape)}), model ({string.Join(", ", parameter.shape)})");
                    continue;
                }
                using (no_grad()) parameter.copy_(value.to(parameter.dtype, parameter.device));
                loaded.Add(target);
            }
        // The scaling layer's constants are fixed by LPIPS; files usually leave them out.
        var missing = own.Keys.Where(k => !loaded.Contains(k) && !k.StartsWith("scaling_layer.", StringComparison.Ordinal)).ToList();
        return new LoadReport(loaded.Count, missing, unexpected, mismatched);
    }

    private void Freeze()
    {
        eval();
        foreach (var p in parameters()) p.requires_grad = false;
    }

    private static Tensor ToRgb(Tensor x) => x.shape[1] switch
    {
        3 => x,
        1 => x.expand(-1, 3, -1, -1),
        _ => throw new ArgumentException($"LPIPS compares 1- or 3-channel images, got {x.shape[1]} channels"),
    };

    private static Tensor UnitNormalise(Tensor x) => x / (x.square().sum(1, keepdim: true).sqrt() + 1e-10);
}

/// <summary>LPIPS's input normalisation: (x − shift) / scale with ImageNet-derived constants for inputs in [−1, 1].</summary>
public sealed class LpipsScalingLayer : nn.Module<Tensor, Tensor>
{
    private readonly Tensor shift;
    private readonly Tensor scale;

    public LpipsScalingLayer() : base("ScalingLayer")
    {
        shift = tensor(new float[] { -.030f, -.088f, -.188f }).reshape(1, 3, 1, 1);
        scale = tensor(new float[] { .458f, .448f, .450f }).reshape(1, 3, 1, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => (x - shift) / scale;
}

/// <summary>A learned non-negative per-channel weighting of squared feature differences: a bias-free 1×1 convolution to one channel.</summary>
public sealed class LpipsLinearLayer : nn.Module<Tensor, Tensor>
{
    private readonly Sequential model;

    public LpipsLinearLayer(int channels) : base("NetLinLayer")
    {
        model = nn.Sequential(("1", nn.Conv2d(channels, 1, 1, bias: false)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => model.call(x);
}

/// <summary>
/// VGG16's convolutional features (torchvision <c>vgg16().features</c>, layers 0–29) cut into LPIPS's five slices, each
/// ending at a ReLU (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3); layers keep their torchvision index inside the slice.
/// </summary>
public sealed class Vgg16Slices : nn.Module<Tensor, Tensor[]>
{
    // torchvision's vgg16 "D" configuration: channels per 3×3 convolution, "M" = 2×2 max-pool.
    private static readonly object[] Configuration = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512];
    private static readonly int[] SliceStarts = [0, 4, 9, 16, 23, 30];

    private readonly Sequential slice1;
    private readonly Sequential slice2;
    private readonly Sequential slice3;
    private readonly Sequential slice4;
    private readonly Sequential slice5;

    public Vgg16Slices() : base("vgg16")
    {
        var layers = new List<(string Name, nn.Module<Tensor, Tensor> Layer)>();
        long inChannels = 3;
        foreach (var entry in Configuration)
        {
            if (entry is string)
            {
                layers.Add((layers.Count.ToString(), nn.MaxPool2d(2, 2)));
                continue;
            }
            int outChannels = (int)entry;
            layers.Add((layers.Count.ToString(), nn.Conv2d(inChannels, outChannels, 3, padding: 1)));
            layers.Add((layers.Count.ToString(), nn.ReLU()));
            inChannels = outChannels;
        }
        Sequential Slice(int k) => nn.Sequential(layers.Skip(SliceStarts[k]).Take(SliceStarts[k + 1] - SliceStarts[k]));
        slice1 = Slice(0);
        slice2 = Slice(1);
        slice3 = Slice(2);
        slice4 = Slice(3);
        slice5 = Slice(4);
        RegisterComponents();
    }

    public override Tensor[] forward(Tensor x)
    {
        var relu1 = slice1.call(x);
        var relu2 = slice2.call(relu1);
        var relu3 = slice3.call(relu2);
        var relu4 = slice4.call(relu3);
        var relu5 = slice5.call(relu4);
        return [relu1, relu2, relu3, relu4, relu5];
    }

    /// <summary>torchvision's <c>features.N.weight</c> → <c>sliceK.N.weight</c>; null for any other key or a layer past relu5_3.</summary>
    public static string? MapTorchvisionKey(string key)
    {
        if (!key.StartsWith("features.", StringComparison.Ordinal)) return null;
        var parts = key.Split('.');
        if (parts.Length != 3 || !int.TryParse(parts[1], out int index)) return null;
        for (var k = 0; k < 5; k++)
            if (index >= SliceStarts[k] && index < SliceStarts[k + 1]) return $"slice{k + 1}.{index}.{parts[2]}";
        return null;
    }
}

/// <summary>Options of the <c>lpips</c> perceptual loss.</summary>
public sealed record LpipsOptions : IValidatableOptions
{
    /// <summary>
    /// Weight files, read in order (safetensors or torch.save zip; see docs/interop.md): e.g. torchvision's VGG16
    /// (<c>features.N.*</c>) and LPIPS's linear layers (<c>linK.model.1.weight</c>), or one file with taming's LPIPS keys.
    /// </summary>
    public string[] Weights { get; init; } = [];

    public IEnumerable<string> Validate()
    {
        if (Weights.Length == 0)
            yield return "weights must list the LPIPS weight file(s): VGG16 features and the LPIPS linear layers (no download is possible here; see docs/interop.md)";
    }
}

[Component(ComponentKind.PerceptualLoss, "lpips",
    Description = "LPIPS (VGG16) as VQGAN trains with it, from user-supplied weights (torchvision VGG16 + LPIPS lin layers, safetensors or .pth).")]
public sealed class LpipsFactory : ComponentFactory<LpipsOptions, Lpips>
{
    public override Lpips Create(LpipsOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lpips = new Lpips();
        var sources = new List<Dictionary<string, Tensor>>();
        try
        {
            foreach (var file in options.Weights)
            {
                try { sources.Add(Interop.StateDictFile.Read(file)); }
                catch (Exception e) when (e is FileNotFoundException or Interop.InteropException)
                {
                    throw new ArgumentException($"[perceptual] weights: {e.Message}", e);
                }
            }
            var report = lpips.LoadWeights([.. sources]);
            if (!report.IsComplete)
                throw new ArgumentException(
                    $"[perceptual] weights ({string.Join(", ", options.Weights)}) do not hold all LPIPS weights: {report.Describe()}. " +
                    "Expected torchvision VGG16 keys (features.N.weight/bias) or taming LPIPS keys (net.sliceK.N.*), and lin0..lin4.model.1.weight.");
        }
        catch
        {
            lpips.Dispose();
            throw;
        }
        finally
        {
            foreach (var source in sources) foreach (var t in source.Values) t.Dispose();
        }
        if (context.Device.type != TorchSharp.DeviceType.CPU) lpips.to(context.Device);
        return lpips;
    }
}
