using LddGan.Abstractions;
using LddGan.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace LddGan.Engine.Training;

/// <summary>Where the trainer stands; everything needed, with the weights and optimisers, to resume exactly.</summary>

/// <summary>
/// The training algorithm of denoising diffusion GANs (Xiao et al. 2022, Alg. 1; the official train_ddgan.py):
/// per step, one discriminator update on real pairs (x_t, x_{t+1}) against posterior samples built from G's x_0,
/// with a lazy R1 penalty on the real x_t; then one generator update with the non-saturating loss (plus the loss
/// schedule's reconstruction term), followed by the EMA update.
/// </summary>
public sealed class DiffusionGanTrainer : IDiffusionTrainer
{
    private readonly TrainingComponents _c;
    private readonly TrainingOptions _options;
    private readonly RandomStreams _rng;
    private readonly Device _device;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizerG;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizerD;
    private readonly ExponentialMovingAverage? _ema;
    private readonly EpochCursor _cursor;

    public DiffusionGanTrainer(TrainingComponents components, TrainingOptions options, RandomStreams rng, Device device)
    {
        _c = components;
        _options = options;
        _rng = rng;
        _cursor = new EpochCursor(rng.DataOrder);
        _device = device;
        ClassConditioning.Check(_c.Dataset, _c.Generator, _c.Discriminator);
        CpuGradientNote = Runtime.NativeTorch.OneDnnGradientCheck.EnsureCorrectGradients(device, _c.Generator, _c.Discriminator);
        _optimizerG = optim.Adam(_c.Generator.parameters(), lr: options.LrG, beta1: options.Beta1, beta2: options.Beta2);
        _optimizerD = optim.Adam(_c.Discriminator.parameters(), lr: options.LrD, beta1: options.Beta1, beta2: options.Beta2);
        if (_c.GeneratorEma is not null && options.EmaDecay > 0)
        {
            _ema = new ExponentialMovingAverage(_c.Generator, _c.GeneratorEma, options.EmaDecay);
            _c.GeneratorEma.load_state_dict(_c.Generator.state_dict());
            _c.GeneratorEma.eval();
        }
    }

    public long GlobalStep { get; private set; }

    /// <summary>Set when the CPU's oneDNN convolution gradients were found wrong: what was done about it.</summary>
    public string? CpuGradientNote { get; }
    public int Epoch => _cursor.Epoch;
    public int BatchInEpoch => _cursor.BatchInEpoch;

    public TorchSharp.Modules.OptimizerHelper OptimizerG => _optimizerG;
    public TorchSharp.Modules.OptimizerHelper OptimizerD => _optimizerD;
    public ExponentialMovingAverage? Ema => _ema;
    public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers => [("generator", _optimizerG), ("discriminator", _optimizerD)];

    /// <summary>The generator whose weights are sampled and released: the EMA copy when EMA is on.</summary>
    public Denoiser SamplingGenerator => _ema is not null ? _c.GeneratorEma! : _c.Generator;

    public int BatchesPerEpoch => (int)(_c.Dataset.Count / _options.BatchSize);

    public long TotalSteps => TrainingBudget.TotalSteps(BatchesPerEpoch, _options.NumEpochs, _options.MaxSteps);

    public TrainerPosition Position => _cursor.At(GlobalStep);

    public void RestorePosition(TrainerPosition position)
    {
        GlobalStep = position.GlobalStep;
        _cursor.Restore(position);
    }

    /// <summary>
    /// Runs epochs until the budget (num_epochs or max_steps) is spent. <paramref name="afterStep"/> sees each step's
    /// losses while they are still on the device (the session reads them when it logs, previews or checkpoints); they
    /// are released after it returns. With <c>[train] prefetch</c> the next batch is assembled on a background thread
    /// during the step (<see cref="BatchPrefetcher"/>); nothing it saves or resumes differs.
    /// </summary>
    public void Run(Action<PendingStepLosses> afterStep, CancellationToken cancellation = default)
    {
        if (BatchesPerEpoch == 0)
            throw new InvalidOperationException(
                $"the dataset has {_c.Dataset.Count} samples, fewer than one batch of {_options.BatchSize}: lower [train] batch_size.");

        var walk = new BatchWalk(_c.Dataset, _options.BatchSize, _options.NumEpochs, TotalSteps - GlobalStep, WithLabels: ClassConditional);
        using var batches = TrainingBatches.Open(_options.Prefetch, walk, _cursor, _rng, SetLearningRates, cancellation);
        while (batches.Next() is { } batch)
        {
            LastDataWait = batches.LastWait;
            if (_options.LrSchedule == LrSchedule.CosineSteps) SetLearningRates(Epoch);
            using PendingStepLosses losses = StepOnBatch(batch);
            afterStep(losses);
        }
    }

    /// <summary>How long the last step of <see cref="Run"/> waited for its batch (data time).</summary>
    public TimeSpan LastDataWait { get; private set; }

    private PendingStepLosses StepOnBatch(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var owned = batch;
        Tensor x0;
        using (no_grad()) x0 = _c.LatentSpace.Encode(batch.Data.to(_device, non_blocking: true));
        return Step(x0, batch.Labels?.to(_device, non_blocking: true));
    }

    /// <summary>Whether G is class-conditional: then D must be too (a projection term), and batches carry labels.</summary>
    public bool ClassConditional => _c.Generator.NumClasses > 0;

    /// <summary>
    /// One step (<see cref="Step"/>) with its losses read at once and checked: a host synchronisation per step, which
    /// custom loops and tests may want; <see cref="Run"/> avoids it.
    /// </summary>
    public StepLosses TrainStep(Tensor x0, Tensor? classLabels = null)
    {
        using var pending = Step(x0, classLabels);
        return pending.ReadFinite();
    }

    /// <summary>
    /// One discriminator and one generator update on a batch of clean latents x_0 (with their class labels for a
    /// class-conditional model). Nothing here waits for the device: the losses come back unread (the caller owns them).
    /// </summary>
    public PendingStepLosses Step(Tensor x0, Tensor? classLabels = null)
    {
        if (ClassConditional != classLabels is not null)
            throw new ArgumentException(ClassConditional
                ? $"the generator is class-conditional ({_c.Generator.NumClasses} classes): pass the batch's labels."
                : "class labels were given, but the generator is not class-conditional.", nameof(classLabels));
        Tensor G(Tensor x, Tensor t, Tensor z) => classLabels is null ? _c.Generator.call(x, t, z) : _c.Generator.forward(x, t, z, classLabels);
        Tensor D(Tensor x, Tensor t, Tensor xNext) => classLabels is null ? _c.Discriminator.call(x, t, xNext) : _c.Discriminator.forward(x, t, xNext, classLabels);
        using var scope = NewDisposeScope();
        long b = x0.shape[0];
        int T = _c.Process.NumTimesteps;
        var progress = new TrainingProgress(Epoch, _options.NumEpochs, GlobalStep);

        // --- Discriminator: real pairs (x_t, x_{t+1}) against fake pairs (x_t' ~ q(x_t | G(x_{t+1}), x_{t+1}), x_{t+1}) ---
        TrainingBudget.SetRequiresGrad(_c.Discriminator, true);
        _optimizerD.zero_grad();
        var t = GeneratorNoise.Integers(0, T, [b], _device, _rng.Noise);
        var (xt, xNext) = _c.Process.SamplePairs(x0, t, _rng.Noise);
        xt = xt.detach().requires_grad_(true);
        xNext = xNext.detach();

        var dReal = D(xt, t, xNext).view(-1);
        var lossReal = softplus(-dReal).mean();
        lossReal.backward(retain_graph: true);

        Tensor? r1 = null;
        if (_options.R1Gamma > 0 && GlobalStep % _options.LazyReg == 0)
        {
            // R1 on the real, less-noisy input x_t: (γ/2)·E‖∇_{x_t} D‖², not rescaled by lazy_reg (as the official code).
            // PyTorch's grad() defaults retain_graph to create_graph; TorchSharp's does not, so say it.
            var grad = torch.autograd.grad([dReal.sum()], [xt], retain_graph: true, create_graph: true)[0];
            var penalty = grad.view(b, -1).pow(2).sum(1).mean() * (_options.R1Gamma / 2);
            penalty.backward();
            r1 = penalty;
        }

        Tensor x0Fake;
        using (no_grad())
        {
            var z = GeneratorNoise.Normal([b, _c.Generator.NoiseDim], ScalarType.Float32, _device, _rng.Noise);
            x0Fake = G(xNext, t, z);
        }
        var xFake = _c.Process.SamplePosterior(x0Fake, xNext, t, _rng.Noise);
        var dFake = D(xFake, t, xNext).view(-1);
        var lossFake = softplus(dFake).mean();
        lossFake.backward();
        _optimizerD.step();

        // --- Generator: non-saturating loss on fresh pairs, plus the schedule's reconstruction of x_0 ---
        TrainingBudget.SetRequiresGrad(_c.Discriminator, false);
        _optimizerG.zero_grad();
        t = GeneratorNoise.Integers(0, T, [b], _device, _rng.Noise);
        (_, xNext) = _c.Process.SamplePairs(x0, t, _rng.Noise);
        var zG = GeneratorNoise.Normal([b, _c.Generator.NoiseDim], ScalarType.Float32, _device, _rng.Noise);
        var x0Pred = G(xNext, t, zG);
        var xPos = _c.Process.SamplePosterior(x0Pred, xNext, t, _rng.Noise);
        var lossAdversarial = softplus(-D(xPos, t, xNext).view(-1)).mean();

        var weights = _c.LossSchedule.WeightsAt(progress);
        var lossG = lossAdversarial * weights.Adversarial;
        Tensor? reconstruction = null;
        if (weights.Reconstruction > 0)
        {
            reconstruction = l1_loss(x0Pred, x0);
            lossG = lossG + reconstruction * weights.Reconstruction;
        }
        lossG.backward();
        _optimizerG.step();
        _ema?.Update();
        TrainingBudget.SetRequiresGrad(_c.Discriminator, true);

        // One small tensor for all six numbers, read by the host only when needed (PendingStepLosses).
        var absent = full([], float.NaN, ScalarType.Float32, _device);
        var values = stack([lossReal, lossFake, r1 ?? absent, lossAdversarial, reconstruction ?? absent, lossG]).detach();
        return new PendingStepLosses(GlobalStep++, values.DetachFromDisposeScope());
    }

    private void SetLearningRates(int epoch)
    {
        foreach (var group in _optimizerG.ParamGroups)
            group.LearningRate = LearningRates.AtStep(_options.LrSchedule, _options.LrG, _options.LrMin, epoch, _options.NumEpochs, GlobalStep, TotalSteps);
        foreach (var group in _optimizerD.ParamGroups)
            group.LearningRate = LearningRates.AtStep(_options.LrSchedule, _options.LrD, _options.LrMin, epoch, _options.NumEpochs, GlobalStep, TotalSteps);
    }

    public double CurrentLrG => _optimizerG.ParamGroups.First().LearningRate;
    public double CurrentLrD => _optimizerD.ParamGroups.First().LearningRate;

    public void Dispose()
    {
        _optimizerG.Dispose();
        _optimizerD.Dispose();
    }
}
