using TorchSharp;

namespace LddGan.Engine.Runtime;

/// <summary>The recipe or command asks for a device this process cannot use.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);

public static class DeviceSelection
{
    /// <summary>
    /// Resolves "cpu", "cuda", "cuda:N" or "auto" to a device; CUDA without a usable CUDA libtorch is a clear error.
    /// On a CUDA device, also applies the recipe's <c>[runtime]</c> settings (TF32, cuDNN autotuning), which libtorch keeps
    /// per process.
    /// </summary>
    public static torch.Device Resolve(string name, RuntimeOptions? runtime = null)
    {
        if (name == "cpu") return torch.CPU;
        bool cuda = torch.cuda.is_available();
        if (name == "auto" && !cuda) return torch.CPU;
        if (!cuda)
            throw new DeviceUnavailableException(
                $"device = \"{name}\" but CUDA is not available to this lddgan: either the build uses the CPU libtorch " +
                "(build with -p:TorchBackend=external and run on a machine whose PyTorch has CUDA, see the README's " +
                "\"Run on a GPU\"), or no NVIDIA GPU and driver are visible (check nvidia-smi). Or set device = \"cpu\".");
        var device = name == "auto" ? torch.CUDA : new torch.Device(name);
        if (device.index >= torch.cuda.device_count())
            throw new DeviceUnavailableException($"device = \"{name}\" but only {torch.cuda.device_count()} CUDA device(s) are visible (cuda:0 … cuda:{torch.cuda.device_count() - 1}).");
        runtime ??= new RuntimeOptions();
        SetTf32(runtime.Tf32);
        if (NativeTorch.LibTorchContext.Open() is { } context) context.CudnnBenchmark = runtime.CudnnBenchmark;
        return device;
    }

    /// <summary>TF32 for CUDA convolutions (cuDNN) and matrix products (cuBLAS), both at once.</summary>
    public static void SetTf32(bool enabled)
    {
        torch.backends.cudnn.allow_tf32 = enabled;
        torch.backends.cuda.matmul.allow_tf32 = enabled;
    }
}
