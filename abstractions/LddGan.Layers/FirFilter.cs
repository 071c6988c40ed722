using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The separable FIR resampling filter of StyleGAN2 / NCSN++ (<c>up_or_down_sampling.py</c>), default k = [1, 3, 3, 1].
/// K = outer(k, k) / sum, applied depthwise (one filter per channel). The official code runs it through a custom
/// <c>upfirdn2d</c> op; here the same maps are written as plain convolutions:
/// <list type="bullet">
/// <item><see cref="Downsample2d"/> (<c>downsample_2d</c>): conv2d(x, flip(K), stride 2, padding (n-2)/2), output H/2.</item>
/// <item><see cref="Upsample2d"/> (<c>upsample_2d</c>): conv_transpose2d(x, 4K, stride 2, padding n/2-1), output 2H.</item>
/// <item><see cref="Blur"/> (the filtering half of <c>conv_downsample_2d</c>): conv2d(x, flip(K), stride 1, padding n/2), output H+1.</item>
/// </list>
/// upfirdn2d is a true convolution, hence the flip for conv2d (conv_transpose2d already flips). For the symmetric default
/// kernel the flip changes nothing. Only kernels of even length are supported (all pads are then symmetric).
/// This is not a module: it has no parameters; the per-device depthwise weights are cached here.
/// </summary>
public sealed class FirFilter
{
    /// <summary>The kernel of the official networks.</summary>
    public static IReadOnlyList<double> DefaultKernel { get; } = [1, 3, 3, 1];

    private readonly float[] _kernel2d;        // K, row-major n×n, normalised to sum 1
    private readonly float[] _flipped2d;       // flip(K)
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
        var c = x.shape[1];
        var pad = (Size - 2) / 2;
        return nn.functional.conv2d(x, Weight(x, c, Kind.Flipped), strides: [2, 2], padding: [pad, pad], groups: c);
    }

    /// <summary>FIR-filtered upsampling by 2 (<c>upsample_2d</c>): (B, C, H, W) → (B, C, 2H, 2W).</summary>
    public Tensor Upsample2d(Tensor x)
    {
        var c = x.shape[1];
        var pad = Size / 2 - 1;
        return nn.functional.conv_transpose2d(x, Weight(x, c, Kind.Upsample), strides: [2, 2], padding: [pad, pad], groups: c);
    }

    /// <summary>
    /// FIR filtering without resampling, padded by n/2 on every side: (B, C, H, W) → (B, C, H+1, W+1).
    /// Followed by a 3×3 stride-2 convolution without padding it is the official <c>conv_downsample_2d</c>.
    /// </summary>
    public Tensor Blur(Tensor x)
    {
        var c = x.shape[1];
        var pad = Size / 2;
        return nn.functional.conv2d(x, Weight(x, c, Kind.Flipped), padding: [pad, pad], groups: c);
    }

    private enum Kind { Flipped = 0, Upsample = 1 }

    private Tensor Weight(Tensor like, long channels, Kind kind)
    {
        var key = (like.device_type, like.device_index, like.dtype, channels, (int)kind);
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
                weight = tensor(data, [1, 1, n, n]).repeat(channels, 1, 1, 1).to(like.dtype, like.device).contiguous()
                    .DetachFromDisposeScope();
            _weights[key] = weight;
            return weight;
        }
    }
}
