using System.Text.Json;
using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Sessions;

/// <summary>How well an autoencoder reconstructs held-out images, and how large its latents get.</summary>
/// <param name="L1">Mean |x − x̂| on pixels in [-1, 1].</param>
/// <param name="Psnr">Mean over images of 10·log10(1 / MSE) on pixels in [0, 1].</param>
/// <param name="CodesUsed">Distinct codebook entries used on the evaluated images (VQ models; 0 otherwise).</param>
/// <param name="LatentMaxAbs">max |latent| over the training images checked: the recommended scale factor.</param>
public sealed record AutoencoderEvaluation(string Split, int Images, double L1, double Psnr, long CodesUsed, double LatentMaxAbs, int ScaleImages);

/// <summary>
/// One autoencoder training run: builds the recipe's components, drives <see cref="AutoencoderTrainer"/>, keeps the run
/// directory up to date (resolved recipe, run.json, metrics.jsonl, input/reconstruction grids, atomic checkpoints) and
/// ends with the reconstruction report and the recommended latent scale factor (<c>evaluation.json</c>, also stored in
/// the checkpoint).
/// </summary>
public sealed class AutoencoderTrainingSession : IDisposable
{
    private readonly AutoencoderRecipe _recipe;
    private readonly ComponentCatalog _catalog;
    private readonly ITrainingObserver _observer;
    private readonly RunEnvironment _run;
    private readonly AutoencoderComponents _components;
    private readonly AutoencoderTrainer _trainer;
    private readonly SampleShape _dataShape;
    private readonly IReadOnlyList<LoadedPlugin> _plugins;
    private double? _latentMaxAbs;
    private readonly TrainingClock _clock = new();

    /// <summary>Training wall time of the run so far, summed over resumes (recorded in its checkpoints).</summary>
    public double TrainingSeconds => _clock.Seconds;

    public string RunDirectory => _run.RunDirectory;
    public string CheckpointPath => _run.CheckpointPath;
    public AutoencoderComponents Components => _components;

    public AutoencoderTrainingSession(AutoencoderRecipe recipe, ComponentCatalog catalog, IReadOnlyList<LoadedPlugin> plugins,
                                      TrainingSessionOptions options, ITrainingObserver observer)
    {
        _recipe = recipe;
        _catalog = catalog;
        _observer = observer;
        _plugins = plugins;
        _run = new RunEnvironment(options.RunDirectory ?? recipe.RunDirectory, options.Resume, recipe.Train.Threads, recipe.Device, recipe.Runtime, recipe.Seed);
        torch.manual_seed(recipe.Seed);

        var built = new List<IDisposable>();
        try
        {
            T Keep<T>(T part) where T : IDisposable { built.Add(part); return part; }
            var builder = new ComponentBuilder(catalog);
            var dataset = Keep(builder.Build<IDataset>(recipe.Data, new ComponentContext(default, default, 0, _run.Device)));
            _dataShape = dataset.Shape;
            var context = new ComponentContext(_dataShape, _dataShape, 0, _run.Device);
            _components = new AutoencoderComponents(
                dataset,
                Keep(builder.Build<Autoencoder>(recipe.Autoencoder, context)),
                Keep(builder.Build<ImageDiscriminator>(recipe.ImageDiscriminator, context)),
                Keep(builder.Build<PerceptualLoss>(recipe.Perceptual, context)));
            _trainer = Keep(new AutoencoderTrainer(_components, recipe.Train, _run.Rng, _run.Device));
            if (options.Resume) RestoreFrom(CheckpointPath);
        }
        catch
        {
            // A session that cannot be built (a damaged checkpoint, a bad component) gives back what it had built.
            foreach (var part in Enumerable.Reverse(built)) part.Dispose();
            _run.Dispose();
            throw;
        }
    }

    private void RestoreFrom(string path)
    {
        using var reader = CheckpointFile.Open(path);
        var meta = reader.Meta;
        if (meta.DataShape != _dataShape)
            throw new CheckpointException($"{path}: trained on data of shape {meta.DataShape}, but the recipe's dataset yields {_dataShape}.");
        if (!reader.HasModule("autoencoder") || !reader.HasModule("image_discriminator"))
            throw new CheckpointException($"{path}: not an autoencoder training checkpoint (no autoencoder/image_discriminator state); a release copy cannot be resumed.");
        reader.LoadModule("autoencoder", _components.Autoencoder);
        reader.LoadModule("image_discriminator", _components.Discriminator);
        reader.LoadOptimizer("autoencoder", _trainer.OptimizerAutoencoder);
        reader.LoadOptimizer("image_discriminator", _trainer.OptimizerDiscriminator);
        if (reader.LoadRandomStreams(_run.Rng) is { } streamsNote) _observer.Note(streamsNote);
        _trainer.RestorePosition(meta.Position);
        _latentMaxAbs = meta.LatentMaxAbs;
        _clock.ResumeFrom(meta.TrainingSeconds);
        _observer.Note($"resumed from {path} at step {meta.GlobalStep} (epoch {meta.Epoch}).");
    }

    /// <summary>Trains until the budget is spent, then evaluates. Ctrl+C (cancellation) saves a checkpoint first.</summary>
    public AutoencoderEvaluation Run(CancellationToken cancellation = default)
    {
        var train = _recipe.Train;
        long parameters = _components.Autoencoder.parameters().Sum(p => p.numel()) + _components.Discriminator.parameters().Sum(p => p.numel());
        var plan = new TrainingPlan(RunDirectory, _trainer.GlobalStep, _trainer.TotalSteps, _trainer.BatchesPerEpoch, train.NumEpochs, _run.Device.ToString(), parameters);
        using var loop = new TrainingRunLoop(plan, new RunCadence(train.LogEvery, train.SampleEvery, train.CheckpointEvery, train.BatchSize),
                                             new RunStart(ResolvedToml(), _recipe.Seed, _plugins, _run.Resumed), _observer,
                                             [.. (_components.Dataset as Data.IDatasetNotes)?.Notes ?? [], _trainer.CpuGradientNote]);
        _clock.Start();
        loop.Run(() => _trainer.Run(pending =>
        {
            long step = _trainer.GlobalStep;
            var duties = loop.DutiesAt(step);
            loop.DataWait.Add(_trainer.LastDataWait);
            // The host waits for the device only here: a diverged run is caught before it is logged or saved.
            if (duties.Any) pending.ReadFinite();
            var (imagesPerSecond, eta) = loop.Throughput(step);
            // The console shows D = hinge loss and G = the autoencoder's total loss.
            _observer.Stepped(new StepReport(step, _trainer.Epoch, pending.Shown(), train.Lr, train.Lr, imagesPerSecond, loop.Elapsed, eta));
            if (duties.Log)
            {
                var l = pending.Read();
                loop.Log(step, new Dictionary<string, object?>
                {
                    ["step"] = step, ["epoch"] = _trainer.Epoch, ["l1"] = l.L1, ["perceptual"] = l.Perceptual, ["codebook"] = l.Codebook,
                    ["g_adv"] = Finite(l.GeneratorAdversarial), ["adaptive_weight"] = l.AdaptiveWeight, ["loss"] = l.Total,
                    ["d_real"] = Finite(l.DiscriminatorReal), ["d_fake"] = Finite(l.DiscriminatorFake),
                    ["data_ms"] = loop.DataWait.TakeMeanMilliseconds(), ["elapsed_s"] = loop.Elapsed.TotalSeconds,
                });
            }
            if (duties.Preview) loop.Preview(WritePreview($"step_{step:D7}.png"), step);
            if (duties.Checkpoint) SaveCheckpoint();
        }, cancellation), SaveCheckpoint, CheckpointPath,
           _run.ResumeCommand(_recipe.SourcePath), () => _trainer.GlobalStep);
        _clock.Stop();
        loop.Preview(WritePreview("final.png"), _trainer.GlobalStep);
        var evaluation = Evaluate();
        _latentMaxAbs = evaluation.LatentMaxAbs;
        SaveCheckpoint();
        File.WriteAllText(Path.Combine(RunDirectory, "evaluation.json"), JsonSerializer.Serialize(evaluation, new JsonSerializerOptions { WriteIndented = true }));
        _observer.Note($"reconstruction on {evaluation.Images} {evaluation.Split} images: L1 {evaluation.L1:F4} (pixels in [-1, 1]), " +
                       $"PSNR {evaluation.Psnr:F2} dB, codes used {evaluation.CodesUsed}; max |latent| over {evaluation.ScaleImages} training images " +
                       $"{evaluation.LatentMaxAbs:F4} (the recommended scale_factor) → {Path.Combine(RunDirectory, "evaluation.json")}");
        return evaluation;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    public string ResolvedToml() => _recipe.ToToml(
        $"Resolved recipe of autoencoder run '{_recipe.Name}': every option written out.\nReproduce with: lddgan train <this file>");

    public void SaveCheckpoint()
    {
        var meta = new CheckpointMeta
        {
            FrameworkVersion = typeof(AutoencoderTrainingSession).Assembly.GetName().Version?.ToString() ?? "?",
            Created = DateTimeOffset.UtcNow,
            DataChannels = _dataShape.Channels, DataHeight = _dataShape.Height, DataWidth = _dataShape.Width,
            LatentMaxAbs = _latentMaxAbs,
            TrainingSeconds = TrainingSeconds,
        }.At(_trainer.Position);
        CheckpointFile.Save(CheckpointPath, ResolvedToml(), meta,
            [("autoencoder", _components.Autoencoder), ("image_discriminator", _components.Discriminator)],
            [("autoencoder", _trainer.OptimizerAutoencoder), ("image_discriminator", _trainer.OptimizerDiscriminator)], _run.Rng.All());
        _observer.Note($"checkpoint: {CheckpointPath} (step {_trainer.GlobalStep})");
    }

    /// <summary>The first preview_count training images above their reconstructions.</summary>
    private string WritePreview(string fileName)
    {
        using var scope = NewDisposeScope();
        var count = (int)Math.Min(_recipe.Train.PreviewCount, _components.Dataset.Count);
        var images = _components.Dataset.GetBatch(Enumerable.Range(0, count).Select(i => (long)i).ToArray()).to(_run.Device);
        Tensor reconstructions;
        using (no_grad())
        {
            _components.Autoencoder.eval();
            reconstructions = _components.Autoencoder.Reconstruct(images).Reconstruction.clamp(-1, 1);
            _components.Autoencoder.train();
        }
        string path = Path.Combine(RunDirectory, "samples", fileName);
        SampleRenderer.Save(cat([images, reconstructions]).cpu(), path, columns: Math.Min(count, 16));
        _observer.Note($"reconstructions: {path} (inputs above, reconstructions below)");
        return path;
    }

    /// <summary>L1 and PSNR on the held-out split, and max |latent| on training images.</summary>
    public AutoencoderEvaluation Evaluate()
    {
        var ae = _components.Autoencoder;
        ae.eval();
        using var noGrad = no_grad();
        var (heldOut, split) = HeldOutDataset();
        double l1Sum = 0, psnrSum = 0;
        long pixels = 0, images = 0;
        var codes = new HashSet<long>();
        try
        {
            var count = _recipe.Train.EvalCount > 0 ? Math.Min(_recipe.Train.EvalCount, heldOut.Count) : heldOut.Count;
            for (long start = 0; start < count; start += 100)
            {
                using var scope = NewDisposeScope();
                var batch = Enumerable.Range(0, (int)Math.Min(100, count - start)).Select(i => start + i).ToArray();
                var x = heldOut.GetBatch(batch).to(_run.Device);
                var xHat = ae.Decode(ae.Encode(x)).clamp(-1, 1);
                l1Sum += (x - xHat).abs().sum().to_type(ScalarType.Float64).item<double>();
                pixels += x.numel();
                var mse = ((x - xHat) / 2).square().flatten(1).mean([1]).clamp_min(1e-10);
                psnrSum += (10 * (1.0 / mse).log10()).sum().to_type(ScalarType.Float64).item<double>();
                images += x.shape[0];
                if (ae.CodeIndices(x) is { } indices) foreach (var c in indices.unique().Item1.cpu().data<long>()) codes.Add(c);
            }
        }
        finally
        {
            if (!ReferenceEquals(heldOut, _components.Dataset)) heldOut.Dispose();
        }

        double maxAbs = 0;
        var scaleImages = (int)Math.Min(_recipe.Train.ScaleCount, _components.Dataset.Count);
        for (int start = 0; start < scaleImages; start += 100)
        {
            using var scope = NewDisposeScope();
            var indices = Enumerable.Range(start, Math.Min(100, scaleImages - start)).Select(i => (long)i).ToArray();
            maxAbs = Math.Max(maxAbs, ae.Encode(_components.Dataset.GetBatch(indices).to(_run.Device)).abs().max().item<float>());
        }
        ae.train();
        return new AutoencoderEvaluation(split, (int)images, l1Sum / pixels, psnrSum / images, codes.Count, maxAbs, scaleImages);
    }

    /// <summary>The same dataset on its test split when it has one (a <c>split</c> option), else the training data.</summary>
    private (IDataset Dataset, string Split) HeldOutDataset()
    {
        if (!UnaugmentedData.HasSplit(_recipe.Data))
        {
            _observer.Note($"the dataset '{_recipe.Data.Type}' has no split option: reconstruction is measured on training images");
            return (_components.Dataset, "train");
        }
        var spec = UnaugmentedData.Of(_recipe.Data, "test");
        return (new ComponentBuilder(_catalog).Build<IDataset>(spec, new ComponentContext(default, default, 0, _run.Device)), "test");
    }

    public void Dispose()
    {
        _trainer.Dispose();
        _components.Autoencoder.Dispose();
        _components.Discriminator.Dispose();
        _components.Perceptual.Dispose();
        _components.Dataset.Dispose();
        _run.Dispose();
    }
}
