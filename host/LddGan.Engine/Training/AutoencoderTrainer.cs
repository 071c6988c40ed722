using LddGan.Abstractions;
using LddGan.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace LddGan.Engine.Training;

/// <summary>The terms of one autoencoder step, for the log.</summary>
public readonly record struct AutoencoderStepLosses(
    double L1, double Perceptual, double Codebook, double GeneratorAdversarial, double AdaptiveWeight, double Total,
    double DiscriminatorReal, double DiscriminatorFake)
{
    /// <summary>As the progress shows a step: D = the hinge loss's two halves, G = the autoencoder's total loss.</summary>
    public StepLosses Shown => new(DiscriminatorReal, DiscriminatorFake, double.NaN, GeneratorAdversarial, L1, Total);
}

/// <summary>
/// The terms of one autoencoder step as they sit on the training device, read by the host only when the run logs,
/// previews or checkpoints (as <see cref="PendingStepLosses"/> for the diffusion trainers); reading caches them.
/// </summary>
public sealed class PendingAutoencoderLosses : IDisposable
{
    private Tensor? _values;   // [8] float64 in AutoencoderStepLosses order; NaN where a term is absent
    private AutoencoderStepLosses? _read;

    internal PendingAutoencoderLosses(long step, bool adversarial, Tensor values) { Step = step; Adversarial = adversarial; _values = values; }

    /// <summary>The 0-based index of the step.</summary>
    public long Step { get; }

    /// <summary>Whether the discriminator trained on this step (from disc_start on).</summary>
    public bool Adversarial { get; }

    public bool IsRead => _read is not null;

    /// <summary>The values (one host synchronisation on first read).</summary>
    public AutoencoderStepLosses Read()
    {
        if (_read is { } known) return known;
        if (_values is null) throw new InvalidOperationException($"the losses of step {Step} were released before they were read");
        using var host = _values.cpu();
        var v = host.data<double>().ToArray();
        _read = new AutoencoderStepLosses(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        _values.Dispose();
        _values = null;
        return _read.Value;
    }

    /// <summary>Reads the values and stops with <see cref="TrainingDivergedException"/> when a loss is NaN or infinite.</summary>
    public AutoencoderStepLosses ReadFinite()
    {
        var l = Read();
        if (!double.IsFinite(l.Total)) throw new TrainingDivergedException(Step, "autoencoder loss", l.Total);
        if (Adversarial && !double.IsFinite(l.DiscriminatorReal + l.DiscriminatorFake))
            throw new TrainingDivergedException(Step, "discriminator loss", l.DiscriminatorReal + l.DiscriminatorFake);
        return l;
    }

    /// <summary>The step as the progress shows it, read when it is shown.</summary>
    public PendingStepLosses Shown() =>
        IsRead ? PendingStepLosses.Known(Step, Read().Shown) : PendingStepLosses.Deferred(Step, () => Read().Shown);

    public void Dispose()
    {
        _values?.Dispose();
        _values = null;
    }
}

/// <summary>What an autoencoder training run is made of; the trainer owns none of it.</summary>
public sealed record AutoencoderComponents(IDataset Dataset, Autoencoder Autoencoder, ImageDiscriminator Discriminator, PerceptualLoss Perceptual);

/// <summary>
/// VQGAN's first-stage training (taming's <c>VQModel.training_step</c> with <c>VQLPIPSWithDiscriminator</c>), one step:
/// <code>
/// x̂, L_cb = AE(x)
/// L_rec = mean(|x − x̂| + w_p·P(x, x̂))
/// L_G   = −mean(D(x̂))
/// λ     = ‖∇_last L_rec‖ / (‖∇_last L_G‖ + 1e−4), clamped to [0, 1e4], × disc_weight      (the adaptive weight)
/// AE:  minimise L_rec + λ·L_G + w_cb·L_cb
/// D:   minimise ½(mean(relu(1 − D(x))) + mean(relu(1 + D(x̂))))                         (hinge)
/// </code>
/// Before <c>disc_start</c> the adversarial terms are off (taming multiplies them by 0; here D is not run at all).
/// </summary>
public sealed class AutoencoderTrainer : IDisposable
{
    private readonly AutoencoderComponents _c;
    private readonly AutoencoderTrainingOptions _options;
    private readonly RandomStreams _rng;
    private readonly Device _device;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizerAe;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizerD;
    private readonly EpochCursor _cursor;

    /// <summary>Set when the CPU's oneDNN convolution gradients were found wrong: what was done about it.</summary>
    public string? CpuGradientNote { get; }

    public AutoencoderTrainer(AutoencoderComponents components, AutoencoderTrainingOptions options, RandomStreams rng, Device device)
    {
        _c = components;
        _options = options;
        _rng = rng;
        _device = device;
        CpuGradientNote = Runtime.NativeTorch.OneDnnGradientCheck.EnsureCorrectGradients(device, _c.Autoencoder, _c.Discriminator, _c.Perceptual);
        _cursor = new EpochCursor(rng.DataOrder);
        _optimizerAe = optim.Adam(_c.Autoencoder.parameters(), lr: options.Lr, beta1: options.Beta1, beta2: options.Beta2);
        _optimizerD = optim.Adam(_c.Discriminator.parameters(), lr: options.Lr, beta1: options.Beta1, beta2: options.Beta2);
        _c.Perceptual.eval();
        TrainingBudget.SetRequiresGrad(_c.Perceptual, false);
    }

    public long GlobalStep { get; private set; }
    public int Epoch => _cursor.Epoch;

    public TrainerPosition Position => _cursor.At(GlobalStep);

    /// <summary>Continues a run from a checkpoint's position (weights, optimisers and streams are restored by the session).</summary>
    public void RestorePosition(TrainerPosition position)
    {
        GlobalStep = position.GlobalStep;
        _cursor.Restore(position);
    }

    public int BatchesPerEpoch => (int)(_c.Dataset.Count / _options.BatchSize);

    public long TotalSteps => TrainingBudget.TotalSteps(BatchesPerEpoch, _options.NumEpochs, _options.MaxSteps);

    /// <summary>
    /// Runs epochs until the budget is spent; <paramref name="afterStep"/> sees every step. With <c>[train] prefetch</c>
    /// the next batch is assembled on a background thread during the step (<see cref="BatchPrefetcher"/>).
    /// </summary>
    public void Run(Action<PendingAutoencoderLosses> afterStep, CancellationToken cancellation = default)
    {
        if (BatchesPerEpoch == 0)
            throw new InvalidOperationException(
                $"the dataset has {_c.Dataset.Count} images, fewer than one batch of {_options.BatchSize}: lower [train] batch_size.");
        _c.Autoencoder.train();
        _c.Discriminator.train();
        var walk = new BatchWalk(_c.Dataset, _options.BatchSize, _options.NumEpochs, TotalSteps - GlobalStep);
        using var batches = TrainingBatches.Open(_options.Prefetch, walk, _cursor, _rng, null, cancellation);
        while (batches.Next() is { } batch)
        {
            LastDataWait = batches.LastWait;
            PendingAutoencoderLosses losses;
            using (NewDisposeScope())
            using (batch)
                losses = TrainStep(batch.Data.to(_device, non_blocking: true));
            using (losses) afterStep(losses);
        }
    }

    /// <summary>How long the last step of <see cref="Run"/> waited for its batch (data time).</summary>
    public TimeSpan LastDataWait { get; private set; }

    /// <summary>
    /// One autoencoder update and (from disc_start on) one discriminator update on a batch of images in [-1, 1]. The
    /// host does not wait for the device: the losses stay there until read.
    /// </summary>
    public PendingAutoencoderLosses TrainStep(Tensor x)
    {
        using var scope = NewDisposeScope();
        bool adversarial = GlobalStep >= _options.DiscStart && _options.DiscWeight > 0;

        // --- Autoencoder ---
        TrainingBudget.SetRequiresGrad(_c.Discriminator, false);
        _optimizerAe.zero_grad();
        var output = _c.Autoencoder.Reconstruct(x);
        var reconstruction = output.Reconstruction;
        var l1 = (x - reconstruction).abs();
        var perceptual = _options.PerceptualWeight > 0 ? _c.Perceptual.call(x, reconstruction) : zeros([x.shape[0]], device: x.device);
        var nll = (l1 + _options.PerceptualWeight * perceptual.view(-1, 1, 1, 1)).mean();
        var loss = nll + _options.CodebookWeight * output.AuxiliaryLoss;
        var absent = full([], double.NaN, ScalarType.Float64, x.device);
        Tensor gLoss = absent, adaptive = zeros([], ScalarType.Float64, x.device);
        if (adversarial)
        {
            var g = -_c.Discriminator.call(reconstruction).mean();
            var lastLayer = _c.Autoencoder.LastLayerWeight;
            var nllGrad = torch.autograd.grad([nll], [lastLayer], retain_graph: true)[0];
            var gGrad = torch.autograd.grad([g], [lastLayer], retain_graph: true)[0];
            // In float64 from the float32 norms, as host arithmetic on them would be, but without reading them back.
            adaptive = (nllGrad.norm().to(ScalarType.Float64) / (gGrad.norm().to(ScalarType.Float64) + 1e-4)).clamp(0.0, 1e4) * _options.DiscWeight;
            loss = loss + adaptive.to(ScalarType.Float32) * g;
            gLoss = g;
        }
        loss.backward();
        _optimizerAe.step();

        // --- Discriminator (hinge) ---
        Tensor dReal = absent, dFake = absent;
        if (adversarial)
        {
            TrainingBudget.SetRequiresGrad(_c.Discriminator, true);
            _optimizerD.zero_grad();
            var real = relu(1.0 - _c.Discriminator.call(x.detach())).mean() * 0.5;
            var fake = relu(1.0 + _c.Discriminator.call(reconstruction.detach())).mean() * 0.5;
            (real + fake).backward();
            _optimizerD.step();
            dReal = real;
            dFake = fake;
        }

        // One small tensor for all eight numbers, in AutoencoderStepLosses order.
        var values = cat(new[] { l1.mean(), perceptual.mean(), output.AuxiliaryLoss, gLoss, adaptive, loss, dReal, dFake }
            .Select(v => v.detach().to(ScalarType.Float64).reshape(1)).ToArray());
        return new PendingAutoencoderLosses(GlobalStep++, adversarial, values.DetachFromDisposeScope());
    }

    public TorchSharp.Modules.OptimizerHelper OptimizerAutoencoder => _optimizerAe;
    public TorchSharp.Modules.OptimizerHelper OptimizerDiscriminator => _optimizerD;

    public void Dispose()
    {
        _optimizerAe.Dispose();
        _optimizerD.Dispose();
    }
}
