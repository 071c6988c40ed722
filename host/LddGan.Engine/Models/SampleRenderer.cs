using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Imaging;
using static TorchSharp.torch;

namespace LddGan.Engine.Models;

/// <summary>Generates samples with the reverse process, decodes them to data space, and writes them as a picture.</summary>
public sealed class SampleRenderer(IDiffusionProcess process, ILatentSpace latentSpace, SampleShape latentShape, Device device)
{
    /// <summary>Samples <paramref name="count"/> items in batches; returns decoded data on the CPU, in [-1, 1].</summary>
    public Tensor Generate(Denoiser generator, int count, long seed, int batchSize = 100, GaussianSamplerSettings? sampling = null,
                           Tensor? classLabels = null)
    {
        var parts = GenerateBatches(generator, count, seed, batchSize, sampling, classLabels).ToList();
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>
    /// The same samples as <see cref="Generate"/> (one noise stream seeded by <paramref name="seed"/>), handed out one
    /// decoded batch at a time (on the CPU, owned by the caller), so a consumer can process and drop them as they come.
    /// </summary>
    /// <remarks>
    /// A Gaussian diffusion process samples by DDPM or DDIM as <paramref name="sampling"/> says (default: ancestral).
    /// A class-conditional generator samples sample i as class <paramref name="classLabels"/>[i] (int64, <paramref name="count"/>
    /// of them); without labels, sample i is class i mod num_classes (balanced, as the training data of Fashion-MNIST and CIFAR-10).
    /// </remarks>
    /// <param name="cursor">
    /// Where the stream stands: read at the start (a cursor saved after k batches continues with batch k + 1, drawing the
    /// same noise as an uninterrupted run) and advanced after every batch, before it is handed out.
    /// </param>
    public IEnumerable<Tensor> GenerateBatches(Denoiser generator, int count, long seed, int batchSize = 100, GaussianSamplerSettings? sampling = null,
                                               Tensor? classLabels = null, SamplingCursor? cursor = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        if (classLabels is not null && generator.NumClasses == 0)
            throw new ArgumentException("class labels were given, but the model is not class-conditional (train it with [generator] num_classes).", nameof(classLabels));
        if (classLabels is not null && classLabels.shape[0] != count)
            throw new ArgumentException($"{classLabels.shape[0]} class labels for {count} samples: give one per sample.", nameof(classLabels));
        using var labels = generator.NumClasses == 0 ? null : classLabels?.to(ScalarType.Int64).cpu() ?? arange(count, ScalarType.Int64) % generator.NumClasses;
        if (cursor is not null && (cursor.Done < 0 || cursor.Done > count || (cursor.Done > 0) != (cursor.RngState is not null)))
            throw new ArgumentException($"the sampling cursor stands at {cursor.Done} of {count} samples{(cursor.RngState is null ? " without a random state" : "")}: it belongs to another stream.", nameof(cursor));
        using var rng = new Generator((ulong)seed); // on the CPU: draws are copied to the device (GeneratorNoise)
        if (cursor?.RngState is { } saved)
            using (var state = tensor(saved)) rng.set_state(state);
        Func<int, Generator, Tensor?, Tensor> sampleLatents = process is IGaussianDiffusion gaussian
            ? GaussianLatents(new GaussianSampler(gaussian, sampling ?? new GaussianSamplerSettings()), generator)
            : (n, r, y) => new ReverseSampler(process).Sample(generator, latentShape, n, device, r, y);
        bool wasTraining = generator.training;
        generator.eval();
        try
        {
            for (int done = cursor?.Done ?? 0; done < count; done += batchSize)
            {
                var batch = SampleBatch(sampleLatents, done, Math.Min(batchSize, count - done), rng, labels);
                cursor?.Advance(done + (int)batch.shape[0], rng);
                yield return batch;
            }
        }
        finally
        {
            if (wasTraining) generator.train();
        }
    }

    // Its own method, so no dispose scope stays open across the iterator's yields.
    private Func<int, Generator, Tensor?, Tensor> GaussianLatents(GaussianSampler sampler, Denoiser network) =>
        (n, r, y) => sampler.Sample(network, latentShape, n, device, r, y);

    private Tensor SampleBatch(Func<int, Generator, Tensor?, Tensor> sampleLatents, int start, int n, Generator rng, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var latents = sampleLatents(n, rng, labels?.narrow(0, start, n));
        return latentSpace.Decode(latents).cpu().MoveToOuterDisposeScope();
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
        else if (samples.shape[1] is 1 or 3) ImageGrid.SavePng(samples, path, columns);
        else
        {
            // Neither grey nor RGB (e.g. a 2-channel model imported for testing): one grey tile per channel, a row per sample.
            using var tiles = samples.reshape(-1, 1, samples.shape[2], samples.shape[3]);
            ImageGrid.SavePng(tiles, path, (int)samples.shape[1]);
        }
    }
}

/// <summary>
/// How far a sample stream has got: samples made and the state of its noise generator after them. Save both to resume a
/// long sampling run (an evaluation of a 1,000-step sampler) with the same samples as an uninterrupted one.
/// </summary>
public sealed class SamplingCursor
{
    public int Done { get; private set; }
    /// <summary>The CPU generator's state after <see cref="Done"/> samples (null before the first batch).</summary>
    public byte[]? RngState { get; private set; }

    public SamplingCursor() { }

    public SamplingCursor(int done, byte[]? rngState)
    {
        Done = done;
        RngState = rngState;
    }

    internal void Advance(int done, Generator rng)
    {
        using var state = rng.get_state();
        Done = done;
        RngState = state.data<byte>().ToArray();
    }
}
