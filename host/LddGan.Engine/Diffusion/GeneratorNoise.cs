using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// Random draws from an optional <see cref="Generator"/>. A generator can only fill tensors on its own device type,
/// so when it lives elsewhere (e.g. a CPU generator for CUDA data) the draw is made there and moved.
/// Without a generator, torch's default generator of the target device is used.
/// </summary>
internal static class GeneratorNoise
{
    public static Tensor Normal(long[] shape, ScalarType dtype, Device device, Generator? rng)
    {
        if (rng is null) return randn(shape, dtype, device);
        if (SameDevice(rng.device, device)) return randn(shape, dtype, device, generator: rng);
        using var drawn = randn(shape, dtype, rng.device, generator: rng);
        return drawn.to(device);
    }

    public static Tensor Uniform(long[] shape, ScalarType dtype, Device device, Generator? rng)
    {
        if (rng is null) return rand(shape, dtype, device);
        if (SameDevice(rng.device, device)) return rand(shape, dtype, device, generator: rng);
        using var drawn = rand(shape, dtype, rng.device, generator: rng);
        return drawn.to(device);
    }

    private static bool SameDevice(Device a, Device b) =>
        a.type == b.type && (a.type == DeviceType.CPU || a.index == b.index || a.index < 0 || b.index < 0);
}
