using LddGan.Layers;
using LddGan.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// A small time-conditional discriminator for CPU-sized runs; it is <b>not</b> from the DDGAN papers. DCGAN's recipe
/// (Radford et al. 2016): strided 4×4 convolutions that halve the resolution num_layers times, BatchNorm after every
/// convolution but the first, LReLU(0.2), and a linear layer over the flattened last feature map. The step t enters
/// as a learned per-channel bias after the first convolution; the input is cat([x_t, x_{t+1}]) as in the official
/// discriminators. Measured on Fashion-MNIST (docs/quality-experiments.md), it teaches an NCSN++ generator garments
/// within 1,000 steps, where ddgan-small and ddgan-large at the width a CPU affords (ngf 16) teach it only blobs or
/// rough shapes. Optionally (<c>stddev_group</c> &gt; 0) the last feature map gets the official discriminators'
/// minibatch standard deviation channel before the linear layer, a signal of how alike the samples of a group are.
/// With <c>norm = "none"</c> the convolutions have biases and no BatchNorm, so each sample is judged alone: the trainer
/// judges real and generated batches in separate calls, and BatchNorm's per-batch statistics rescale away whatever
/// sets a whole batch apart in a channel (its mean or spread, such as less fine detail throughout).
/// </summary>
public sealed class ConvDiscriminator : Discriminator
{
#pragma warning disable IDE1006 // snake_case like the official modules
    private readonly Conv2d start_conv;
    private readonly Embedding t_bias;
    private readonly Sequential blocks;
    private readonly Linear end_linear;
    private readonly Embedding? class_projection;   // class-conditional only
    private readonly MinibatchStddev? stddev;       // stddev_group > 0 only
#pragma warning restore IDE1006

    /// <summary>Channels of the concatenated input, 2·C.</summary>
    public long InputChannels { get; }

    /// <param name="options">ch, num_layers.</param>
    /// <param name="shape">The latent shape (C, H, W); H and W must be divisible by 2^num_layers.</param>
    /// <param name="numTimesteps">T: one learned bias per step.</param>
    public ConvDiscriminator(ConvDiscriminatorOptions options, SampleShape shape, int numTimesteps) : base(nameof(ConvDiscriminator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(shape);
        InputChannels = 2L * shape.Channels;
        long ch = options.Ch;
        start_conv = nn.Conv2d(InputChannels, ch, 4, stride: 2, padding: 1);
        t_bias = nn.Embedding(numTimesteps, ch);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("act0", nn.LeakyReLU(0.2)) };
        bool batchNorm = options.Norm == ConvDiscriminatorOptions.BatchNorm;
        for (int i = 1; i < options.NumLayers; i++)
        {
            layers.Add(($"conv{i}", nn.Conv2d(ch, ch * 2, 4, stride: 2, padding: 1, bias: !batchNorm)));
            if (batchNorm) layers.Add(($"norm{i}", nn.BatchNorm2d(ch * 2)));
            layers.Add(($"act{i}", nn.LeakyReLU(0.2)));
            ch *= 2;
        }
        blocks = nn.Sequential(layers);
        long side = 1L << options.NumLayers;
        if (options.StddevGroup > 0)
        {
            stddev = new MinibatchStddev(options.StddevGroup, numFeatures: 1);
            ch += 1;
        }
        long features = ch * (shape.Height / side) * (shape.Width / side);
        end_linear = nn.Linear(features, 1);
        NumClasses = options.NumClasses;
        if (NumClasses > 0) class_projection = nn.Embedding(NumClasses, features);
        RegisterComponents();
    }

    public override int NumClasses { get; }

    /// <param name="x">The less noisy sample x_t, (B, C, H, W).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="xCond">The condition x_{t+1}, (B, C, H, W).</param>
    /// <returns>Logits, (B, 1).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor xCond)
    {
        if (class_projection is not null)
            throw new ArgumentException($"conv-small is class-conditional (num_classes = {NumClasses}): call it with class labels.");
        using var scope = NewDisposeScope();
        return end_linear.call(Features(x, t, xCond)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The projection discriminator (Miyato &amp; Koyama 2018): logit = w·φ + ⟨embed(y), φ⟩ over the flattened features φ.
    /// An extension beyond the papers, whose models are unconditional.
    /// </summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor xCond, Tensor classLabels)
    {
        if (class_projection is null) return base.forward(x, t, xCond, classLabels);
        using var scope = NewDisposeScope();
        var features = Features(x, t, xCond);
        var projection = (class_projection.call(classLabels.to(x.device)) * features).sum(1, keepdim: true);
        return (end_linear.call(features) + projection).MoveToOuterDisposeScope();
    }

    private Tensor Features(Tensor x, Tensor t, Tensor xCond)
    {
        var h = start_conv.call(DiscriminatorHead.Input(x, xCond, InputChannels, "conv-small"));
        h = h + t_bias.call(t).unsqueeze(2).unsqueeze(3);
        h = blocks.call(h);
        if (stddev is not null) h = stddev.call(h);
        return h.flatten(1);
    }
}

/// <summary>Options of <see cref="ConvDiscriminator"/> (<c>conv-small</c>).</summary>
public sealed record ConvDiscriminatorOptions : IValidatableOptions
{
    /// <summary>Channels of the first convolution; each further layer doubles them.</summary>
    public int Ch { get; init; } = 64;

    /// <summary>Strided convolutions, each halving the resolution (3: 32 → 16 → 8 → 4).</summary>
    public int NumLayers { get; init; } = 3;

    /// <summary>Class-conditional (a projection term) with this many classes, matching the generator's num_classes; 0: unconditional.</summary>
    public int NumClasses { get; init; }

    /// <summary>
    /// Group size of a minibatch standard deviation channel appended to the last feature map (the official
    /// discriminators' stddev_group = 4, one feature); 0: none. The batch size must be divisible by it.
    /// </summary>
    public int StddevGroup { get; init; }

    internal const string BatchNorm = "batch";
    internal static readonly string[] Norms = [BatchNorm, "none"];

    /// <summary>
    /// Normalisation after each convolution but the first: "batch" (DCGAN's BatchNorm, statistics of each call's batch)
    /// or "none" (biased convolutions; each sample judged alone, as in the official discriminators).
    /// </summary>
    public string Norm { get; init; } = BatchNorm;

    public IEnumerable<string> Validate()
    {
        if (NumClasses < 0) yield return $"num_classes must be 0 (unconditional) or the number of classes, got {NumClasses}";
        if (Ch < 1) yield return $"ch must be a positive integer, got {Ch}";
        if (NumLayers is < 1 or > 6) yield return $"num_layers must lie in [1, 6], got {NumLayers}";
        if (StddevGroup < 0) yield return $"stddev_group must be 0 (off) or a group size such as 4, got {StddevGroup}";
        if (!Norms.Contains(Norm)) yield return $"norm '{Norm}' is not supported; allowed: {string.Join(", ", Norms)}";
    }

    internal void ThrowIfInvalid(SampleShape shape)
    {
        var errors = Validate().ToList();
        long side = 1L << Math.Clamp(NumLayers, 1, 6);
        if (shape.IsVector || shape.Height % side != 0 || shape.Width % side != 0)
            errors.Add($"the latent shape {shape} must be an image whose sides divide by 2^num_layers = {side}");
        if (errors.Count > 0)
            throw new ArgumentException("invalid conv-small options: " + string.Join("; ", errors));
    }
}
