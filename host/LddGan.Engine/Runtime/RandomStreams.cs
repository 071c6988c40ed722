using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Runtime;

/// <summary>
/// The explicit random streams of a run, all derived from the recipe seed, so that a run can be checkpointed and
/// resumed bit-identically: <see cref="Noise"/> (timesteps, diffusion noise, z) lives on the training device;
/// <see cref="DataOrder"/> and <see cref="Augmentation"/> are CPU generators.
/// </summary>
public sealed class RandomStreams : IDisposable
{
    public RandomStreams(long seed, Device device)
    {
        // torch.manual_seed seeds only the CPU generator in TorchSharp; seed CUDA too so module init is reproducible.
        torch.manual_seed(seed);
        torch.cuda.manual_seed_all(seed);
        Noise = new Generator((ulong)seed + 1, device);
        DataOrder = new Generator((ulong)seed + 2);
        Augmentation = new Generator((ulong)seed + 3);
    }

    public Generator Noise { get; }
    public Generator DataOrder { get; }
    public Generator Augmentation { get; }

    public IEnumerable<(string Name, Generator Generator)> All()
    {
        yield return ("noise", Noise);
        yield return ("data_order", DataOrder);
        yield return ("augmentation", Augmentation);
    }

    public void Dispose()
    {
        Noise.Dispose();
        DataOrder.Dispose();
        Augmentation.Dispose();
    }
}
