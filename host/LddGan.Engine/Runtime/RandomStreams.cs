using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Runtime;

/// <summary>
/// The explicit random streams of a run, all derived from the recipe seed, so that a run can be checkpointed and
/// resumed bit-identically: <see cref="Noise"/> (timesteps, diffusion noise, z), <see cref="DataOrder"/> and
/// <see cref="Augmentation"/>. All three are CPU generators whatever the training device: draws are made on the CPU
/// and copied (TorchSharp 0.107 cannot make CUDA generators, see <c>GeneratorNoise</c>), so a seed gives the same
/// random numbers on the CPU and on a GPU. <see cref="Global"/>, libtorch's default CPU generator, is checkpointed with
/// them: it draws what takes no generator argument, dropout masks above all, so a resumed run with dropout continues
/// its masks instead of starting them over (on a GPU dropout draws from CUDA's generator, which is not saved).
/// </summary>
public sealed class RandomStreams : IDisposable
{
    public RandomStreams(long seed)
    {
        // torch.manual_seed seeds only the CPU generator in TorchSharp; seed CUDA's default generators too, for
        // whatever draws from them (dropout on a GPU).
        torch.manual_seed(seed);
        torch.cuda.manual_seed_all(seed);
        Noise = new Generator((ulong)seed + 1);
        DataOrder = new Generator((ulong)seed + 2);
        Augmentation = new Generator((ulong)seed + 3);
        Global = Generator.Default;   // a handle on libtorch's default CPU generator; disposing it leaves the generator
    }

    /// <summary>The checkpoint entry of <see cref="Global"/>, which checkpoints written before it was saved lack.</summary>
    public const string GlobalStreamName = "global";

    public Generator Noise { get; }
    public Generator DataOrder { get; }
    public Generator Augmentation { get; }

    /// <summary>libtorch's default CPU generator (seeded with the recipe seed): dropout masks and weight initialisation.</summary>
    public Generator Global { get; }

    public IEnumerable<(string Name, Generator Generator)> All()
    {
        yield return ("noise", Noise);
        yield return ("data_order", DataOrder);
        yield return ("augmentation", Augmentation);
        yield return (GlobalStreamName, Global);
    }

    public void Dispose()
    {
        Noise.Dispose();
        DataOrder.Dispose();
        Augmentation.Dispose();
        Global.Dispose();
    }
}
