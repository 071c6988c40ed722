using TorchSharp;

namespace LddGan.Engine.Runtime;

public static class DeviceSelection
{
    /// <summary>Resolves "cpu", "cuda", "cuda:N" or "auto" to a device; CUDA without a CUDA build is a clear error.</summary>
    public static torch.Device Resolve(string name)
    {
        if (name == "cpu") return torch.CPU;
        bool cuda = torch.cuda.is_available();
        if (name == "auto") return cuda ? torch.CUDA : torch.CPU;
        if (!cuda)
            throw new InvalidOperationException(
                $"device = \"{name}\" but CUDA is not available: this build uses the CPU libtorch " +
                "(build with -p:TorchBackend=cuda-linux on a machine with an NVIDIA GPU) — or set device = \"cpu\".");
        return new torch.Device(name);
    }
}
