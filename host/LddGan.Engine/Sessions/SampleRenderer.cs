using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Imaging;
using static TorchSharp.torch;

namespace LddGan.Engine.Sessions;

/// <summary>Generates samples with the reverse process, decodes them to data space, and writes them as a picture.</summary>
public sealed class SampleRenderer(IDiffusionProcess process, ILatentSpace latentSpace, SampleShape latentShape, Device device)
{
    /// <summary>Samples <paramref name="count"/> items in batches; returns decoded data on the CPU, in [-1, 1].</summary>
    public Tensor Generate(Denoiser generator, int count, long seed, int batchSize = 100)
    {
        using var rng = new Generator((ulong)seed, device);
        var sampler = new ReverseSampler(process);
        var parts = new List<Tensor>();
        bool wasTraining = generator.training;
        generator.eval();
        try
        {
            for (int done = 0; done < count; done += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, count - done);
                using var _ = no_grad();
                var latents = sampler.Sample(generator, latentShape, n, device, rng);
                parts.Add(latentSpace.Decode(latents).cpu().MoveToOuterDisposeScope());
            }
        }
        finally
        {
            if (wasTraining) generator.train();
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Writes images as a grid PNG, or 2-D points as a scatter plot.</summary>
    public static void Save(Tensor samples, string path, int? columns = null)
    {
        if (samples.dim() == 2)
        {
            // Fit the view to the points (toy data may span more than [-1.5, 1.5]), ignoring non-finite values.
            using var finite = samples.nan_to_num(0.0, 0.0, 0.0);
            double extent = Math.Max(ScatterPlot.DefaultExtent, finite.abs().max().item<float>() * 1.1);
            ScatterPlot.SavePng(samples, path, extent: extent);
        }
        else ImageGrid.SavePng(samples, path, columns);
    }
}
