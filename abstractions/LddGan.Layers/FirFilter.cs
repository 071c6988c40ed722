using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The separable FIR resampling filter of StyleGAN2 / NCSN++ (<c>up_or_down_sampling.py</c>), default k = [1, 3, 3, 1].
/// K = outer(k, k) / sum, applied to each channel alone. The official code runs it through a custom
/// <c>upfirdn2d</c> op; here the same maps are written as grouped convolutions (without autograd) or as separable
/// weighted sums of shifted slices (under autograd, see <c>NeedsGradient</c>):
/// <list type="bullet">
/// <item><see cref="Downsample2d"/> (<c>downsample_2d</c>): conv2d(x, flip(K), stride 2, padding (n-2)/2), output H/2.</item>
/// <item><see cref="Upsample2d"/> (<c>upsample_2d</c>): conv_transpose2d(x, 4K, stride 2, padding n/2-1), output 2H.</item>
/// <item><see cref="Blur"/> (the filtering half of <c>conv_downsample_2d</c>): conv2d(x, flip(K), stride 1, padding n/2), output H+1.</item>
/// </list>
/// upfirdn2d is a true convolution, hence the flip for conv2d (conv_transpose2d already flips). For the symmetric default
/// kernel the flip changes nothing. Only kernels of even length are supported (all pads are then symmetric).
/// This is not a module: it has no parameters; the per-device kernels are cached here.
/// </summary>
public sealed class FirFilter
{
    /// <summary>The kernel of the official networks.</summary>
    public static IReadOnlyList<double> DefaultKernel { get; } = [1, 3, 3, 1];

    private readonly float[] _kernel2d;        // K, row-major n×n, normalised to sum 1
    private readonly float[] _flipped2d;       // flip(K)
    private readonly double[] _flippedTaps;    // flip(k) / sum(k): flip(K) = outer(_flippedTaps, _flippedTaps)
    private readonly double[] _upsampleTaps;   // 2·flip(k) / sum(k): flip(4K) = outer(_upsampleTaps, _upsampleTaps)
    private readonly Dictionary<(DeviceType, int, ScalarType, long, int), Tensor> _weights = new();
    private readonly Lock _lock = new();

    /// <summary>Length n of the 1-D kernel.</summary>
    public int Size { get; }

    public FirFilter() : this(DefaultKernel) { }

    /// <param name="kernel">The 1-D kernel k (the 2-D kernel is outer(k, k), normalised to sum 1). Even length ≥ 2.</param>
    public FirFilter(IReadOnlyList<double> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.Count < 2 || kernel.Count % 2 != 0)
            throw new ArgumentException($"fir_kernel must have an even length of at least 2, got {kernel.Count} taps", nameof(kernel));
        double sum = 0;
        foreach (var v in kernel) sum += v;
        if (Math.Abs(sum) < 1e-12)
            throw new ArgumentException("fir_kernel must not sum to zero", nameof(kernel));
        Size = kernel.Count;
        var n = Size;
        _flippedTaps = Enumerable.Range(0, n).Select(i => kernel[n - 1 - i] / sum).ToArray();
        _upsampleTaps = _flippedTaps.Select(t => 2 * t).ToArray();
        _kernel2d = new float[n * n];
        _flipped2d = new float[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var value = (float)(kernel[i] * kernel[j] / (sum * sum));
                _kernel2d[i * n + j] = value;
                _flipped2d[(n - 1 - i) * n + (n - 1 - j)] = value;
            }
    }

    /// <summary>FIR-filtered downsampling by 2 (<c>downsample_2d</c>): (B, C, H, W) → (B, C, H/2, W/2).</summary>
    public Tensor Downsample2d(Tensor x)
    {
        var pad = (Size - 2) / 2;
        if (NeedsGradient(x)) return Separable(x, _flippedTaps, stride: 2, pad, pad);
        var c = x.shape[1];
        return nn.functional.conv2d(x, Weight(x, Kind.Flipped, c), strides: [2, 2], padding: [pad, pad], groups: c);
    }

    /// <summary>FIR-filtered upsampling by 2 (<c>upsample_2d</c>): (B, C, H, W) → (B, C, 2H, 2W).</summary>
    public Tensor Upsample2d(Tensor x)
    {
        var c = x.shape[1];
        if (c == 1) return UpsampleOneChannel(x);
        var pad = Size / 2 - 1;
        return nn.functional.conv_transpose2d(x, Weight(x, Kind.Upsample, c), strides: [2, 2], padding: [pad, pad], groups: c);
    }

    /// <summary>
    /// FIR filtering without resampling, padded by n/2 on every side: (B, C, H, W) → (B, C, H+1, W+1).
    /// Followed by a 3×3 stride-2 convolution without padding it is the official <c>conv_downsample_2d</c>.
    /// </summary>
    public Tensor Blur(Tensor x)
    {
        var pad = Size / 2;
        if (NeedsGradient(x)) return Separable(x, _flippedTaps, stride: 1, pad, pad);
        var c = x.shape[1];
        return nn.functional.conv2d(x, Weight(x, Kind.Flipped, c), padding: [pad, pad], groups: c);
    }

    /// <summary>
    /// upfirdn2d(x, 4K, up = 2) for one channel, written out as the official native code does: zeros between the
    /// samples, pad, then the filter flip(4K). libtorch 2.10's one-channel transposed convolution returns wrong values on
    /// AVX-512 CPUs (oneDNN; errors of order 0.4 against float64 on unit-variance input).
    /// </summary>
    private Tensor UpsampleOneChannel(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var stuffed = zeros([b, 1, h, 2, w, 2], x.dtype, x.device);
        stuffed.select(5, 0).select(3, 0).copy_(x.view(b, 1, h, w));
        int p = Size - 2;
        long before = p / 2 + 1, after = p / 2;
        return Separable(stuffed.view(b, 1, 2 * h, 2 * w), _upsampleTaps, stride: 1, before, after).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether autograd will differentiate through the filter. Then the filter runs as weighted sums of shifted slices
    /// (<see cref="Separable"/>) rather than a convolution: its gradients are exact and its double backward (R1 through
    /// the discriminator) is a few cheap elementwise ops, while libtorch 2.10's CPU backward of these one-filter
    /// convolutions is slow (grouped) and, on AVX-512 CPUs (oneDNN), wrong (gradients off by up to 10×, NaN in training).
    /// Without gradients the grouped convolution stays, so sampling gives the same bytes as before.
    /// </summary>
    private static bool NeedsGradient(Tensor x) => x.requires_grad && is_grad_enabled();

    /// <summary>
    /// The 2-D filter outer(taps, taps) as two 1-D passes of weighted sums of strided slices: pad (before/after on every
    /// side), then along H and along W out[i] = Σ_j taps[j]·padded[stride·i + j] (a correlation, as conv2d).
    /// </summary>
    private static Tensor Separable(Tensor x, double[] taps, int stride, long before, long after)
    {
        using var scope = NewDisposeScope();
        var padded = nn.functional.pad(x, [before, after, before, after]);
        var filtered = Filter1d(Filter1d(padded, 2, taps, stride), 3, taps, stride);
        return filtered.MoveToOuterDisposeScope();
    }

    private static Tensor Filter1d(Tensor x, long dim, double[] taps, int stride)
    {
        long outLength = (x.shape[dim] - taps.Length) / stride + 1;
        Tensor? sum = null;
        for (int j = 0; j < taps.Length; j++)
        {
            var term = x.slice(dim, j, j + (outLength - 1) * stride + 1, stride) * taps[j];
            sum = sum is null ? term : sum + term;
        }
        return sum!;
    }

    private enum Kind { Flipped = 0, Upsample = 1 }

    /// <summary>The kernel as the weight of a grouped convolution: <paramref name="groups"/> copies of one filter.</summary>
    private Tensor Weight(Tensor like, Kind kind, long groups)
    {
        var key = (like.device_type, like.device_index, like.dtype, groups, (int)kind);
        lock (_lock)
        {
            if (_weights.TryGetValue(key, out var cached) && !cached.IsInvalid)
                return cached;
            var n = Size;
            var source = kind == Kind.Upsample ? _kernel2d : _flipped2d;
            var gain = kind == Kind.Upsample ? 4f : 1f;   // upsample_2d scales K by factor² = 4
            var data = new float[source.Length];
            for (var i = 0; i < data.Length; i++) data[i] = source[i] * gain;
            Tensor weight;
            using (no_grad())
            using (NewDisposeScope())
                weight = tensor(data, [1, 1, n, n]).repeat(groups, 1, 1, 1).to(like.dtype, like.device).contiguous()
                    .DetachFromDisposeScope();
            _weights[key] = weight;
            return weight;
        }
    }
}
