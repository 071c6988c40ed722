using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Evaluation.Benchmarks;

/// <summary>Multiply-accumulates counted by <see cref="FlopCounter"/>, in total and per layer type.</summary>
public sealed record FlopCount(long MultiplyAdds, IReadOnlyDictionary<string, long> ByLayerType)
{
    /// <summary>2 × multiply-adds, the usual convention.</summary>
    public long Flops => 2 * MultiplyAdds;
}

/// <summary>
/// Counts the multiply-accumulates (MACs) of the convolution and linear layers a forward pass runs, with forward hooks on
/// every <c>Conv1d/2d/3d</c>, <c>ConvTranspose1d/2d/3d</c> and <c>Linear</c> module under the given roots; FLOPs = 2 × MACs.
/// Like the common counters (fvcore, thop, ptflops), it counts only these layers' products: biases, normalisation,
/// activations, attention's matmuls outside Linear layers, and convolutions run through the functional API with fixed or
/// module-held kernels (NCSN++'s FIR up/down-sampling filters, the wavelet generator's WaveletDownsample convolution,
/// Haar transforms) are not counted. Per layer:
/// <list type="bullet">
/// <item>convolution: output elements × (in_channels / groups) × kernel volume;</item>
/// <item>transposed convolution: input elements × (out_channels / groups) × kernel volume;</item>
/// <item>linear: input elements × out_features (= rows × in × out).</item>
/// </list>
/// Hooks fire only for modules run through <c>call</c> (TorchSharp's <c>forward</c> skips hooks); the networks here use <c>call</c>.
/// </summary>
public sealed class FlopCounter : IDisposable
{
    private readonly List<Action> _removers = [];
    private readonly Dictionary<string, long> _byType = [];

    public FlopCounter(params nn.Module[] roots)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var root in roots)
            foreach (var module in root.modules().Prepend(root))
                if (seen.Add(module) && module is Convolution or Linear)
                {
                    var hooked = (nn.Module<Tensor, Tensor>)module;
                    var remover = hooked.register_forward_hook((m, input, output) =>
                    {
                        Add(m, input, output);
                        return null!;   // null: keep the module's output
                    });
                    _removers.Add(remover.remove);
                }
    }

    /// <summary>Layers being counted.</summary>
    public int HookedLayers => _removers.Count;

    public long MultiplyAdds => _byType.Values.Sum();

    public FlopCount Snapshot() => new(MultiplyAdds, new Dictionary<string, long>(_byType));

    public void Reset() => _byType.Clear();

    /// <summary>Counts what <paramref name="forward"/> runs in the modules under <paramref name="roots"/>.</summary>
    public static FlopCount Measure(IEnumerable<nn.Module> roots, Action forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        using var counter = new FlopCounter(roots.ToArray());
        forward();
        return counter.Snapshot();
    }

    private void Add(nn.Module module, Tensor input, Tensor output)
    {
        long macs;
        switch (module)
        {
            case Convolution conv when conv.transposed:
                {
                    // weight: (in, out / groups, k...)
                    var w = conv.weight.shape;
                    macs = input.numel() * w.Skip(1).Aggregate(1L, (a, b) => a * b);
                    break;
                }
            case Convolution conv:
                {
                    // weight: (out, in / groups, k...)
                    var w = conv.weight.shape;
                    macs = output.numel() * w.Skip(1).Aggregate(1L, (a, b) => a * b);
                    break;
                }
            case Linear linear:
                macs = input.numel() / linear.weight.shape[1] * linear.weight.shape[1] * linear.weight.shape[0];
                break;
            default:
                return;
        }
        string type = module.GetType().Name;
        _byType[type] = _byType.GetValueOrDefault(type) + macs;
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
    }
}
