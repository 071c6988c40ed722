using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Runtime;

/// <summary>
/// Random draws from an optional <see cref="Generator"/>. Every generator of the framework is a CPU generator
/// (TorchSharp 0.107 makes CPU generators natively even when asked for a CUDA one, while <c>Generator.device</c>
/// reports the device asked for), so a draw is made on the CPU and copied to the target device. That also makes a
/// seed give the same numbers on every device. The copy is non-blocking (no host synchronisation with the GPU).
/// Without a generator, torch's default generator of the target device is used.
/// </summary>
internal static class GeneratorNoise
{
    public static Tensor Normal(long[] shape, ScalarType dtype, Device device, Generator? rng)
    {
        if (rng is null) return randn(shape, dtype, device);
        return ToDevice(randn(shape, dtype, CPU, generator: rng), device);
    }

    public static Tensor Uniform(long[] shape, ScalarType dtype, Device device, Generator? rng)
    {
        if (rng is null) return rand(shape, dtype, device);
        return ToDevice(rand(shape, dtype, CPU, generator: rng), device);
    }

    /// <summary>Integers uniform in [<paramref name="low"/>, <paramref name="high"/>), as int64.</summary>
    public static Tensor Integers(long low, long high, long[] shape, Device device, Generator rng) =>
        ToDevice(randint(low, high, shape, ScalarType.Int64, CPU, generator: rng), device);

    private static Tensor ToDevice(Tensor drawn, Device device)
    {
        if (device.type == DeviceType.CPU) return drawn;
        using (drawn) return drawn.to(device, non_blocking: true);
    }
}
