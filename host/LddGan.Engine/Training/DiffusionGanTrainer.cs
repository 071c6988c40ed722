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
public sealed class DiffusionGanTrainer : IDisposable
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
    public int Epoch => _cursor.Epoch;
    public int BatchInEpoch => _cursor.BatchInEpoch;

    public TorchSharp.Modules.OptimizerHelper OptimizerG => _optimizerG;
    public TorchSharp.Modules.OptimizerHelper OptimizerD => _optimizerD;
    public ExponentialMovingAverage? Ema => _ema;

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
    /// losses (the session logs, previews and checkpoints from there).
    /// </summary>
    public void Run(Action<StepLosses> afterStep, CancellationToken cancellation = default)
    {
        if (BatchesPerEpoch == 0)
            throw new InvalidOperationException(
                $"the dataset has {_c.Dataset.Count} samples, fewer than one batch of {_options.BatchSize}: lower [train] batch_size.");

        foreach (var indices in _cursor.Batches(_c.Dataset.Count, _options.BatchSize, _options.NumEpochs, () => GlobalStep < TotalSteps,
                                                cancellation, SetLearningRates))
        {
            if (_options.LrSchedule == LrSchedule.CosineSteps) SetLearningRates(Epoch);
            StepLosses losses;
            using (NewDisposeScope())
            {
                using var batch = _c.Dataset.GetBatch(indices, _rng.Augmentation);
                Tensor x0;
                using (no_grad()) x0 = _c.LatentSpace.Encode(batch.to(_device));
                losses = TrainStep(x0);
            }
            afterStep(losses);
        }
    }

    /// <summary>One discriminator and one generator update on a batch of clean latents x_0.</summary>
    public StepLosses TrainStep(Tensor x0)
    {
        using var scope = NewDisposeScope();
        long b = x0.shape[0];
        int T = _c.Process.NumTimesteps;
        var progress = new TrainingProgress(Epoch, _options.NumEpochs, GlobalStep);

        // --- Discriminator: real pairs (x_t, x_{t+1}) against fake pairs (x_t' ~ q(x_t | G(x_{t+1}), x_{t+1}), x_{t+1}) ---
        TrainingBudget.SetRequiresGrad(_c.Discriminator, true);
        _optimizerD.zero_grad();
        var t = randint(0, T, [b], dtype: ScalarType.Int64, device: _device, generator: _rng.Noise);
        var (xt, xNext) = _c.Process.SamplePairs(x0, t, _rng.Noise);
        xt = xt.detach().requires_grad_(true);
        xNext = xNext.detach();

        var dReal = _c.Discriminator.call(xt, t, xNext).view(-1);
        var lossReal = softplus(-dReal).mean();
        lossReal.backward(retain_graph: true);

        double r1 = double.NaN;
        if (_options.R1Gamma > 0 && GlobalStep % _options.LazyReg == 0)
        {
            // R1 on the real, less-noisy input x_t: (γ/2)·E‖∇_{x_t} D‖², not rescaled by lazy_reg (as the official code).
            // PyTorch's grad() defaults retain_graph to create_graph; TorchSharp's does not, so say it.
            var grad = torch.autograd.grad([dReal.sum()], [xt], retain_graph: true, create_graph: true)[0];
            var penalty = grad.view(b, -1).pow(2).sum(1).mean() * (_options.R1Gamma / 2);
            penalty.backward();
            r1 = penalty.item<float>();
        }

        Tensor x0Fake;
        using (no_grad())
        {
            var z = randn([b, _c.Generator.NoiseDim], device: _device, generator: _rng.Noise);
            x0Fake = _c.Generator.call(xNext, t, z);
        }
        var xFake = _c.Process.SamplePosterior(x0Fake, xNext, t, _rng.Noise);
        var dFake = _c.Discriminator.call(xFake, t, xNext).view(-1);
        var lossFake = softplus(dFake).mean();
        lossFake.backward();
        _optimizerD.step();

        // --- Generator: non-saturating loss on fresh pairs, plus the schedule's reconstruction of x_0 ---
        TrainingBudget.SetRequiresGrad(_c.Discriminator, false);
        _optimizerG.zero_grad();
        t = randint(0, T, [b], dtype: ScalarType.Int64, device: _device, generator: _rng.Noise);
        (_, xNext) = _c.Process.SamplePairs(x0, t, _rng.Noise);
        var zG = randn([b, _c.Generator.NoiseDim], device: _device, generator: _rng.Noise);
        var x0Pred = _c.Generator.call(xNext, t, zG);
        var xPos = _c.Process.SamplePosterior(x0Pred, xNext, t, _rng.Noise);
        var lossAdversarial = softplus(-_c.Discriminator.call(xPos, t, xNext).view(-1)).mean();

        var weights = _c.LossSchedule.WeightsAt(progress);
        var lossG = lossAdversarial * weights.Adversarial;
        double reconstruction = double.NaN;
        if (weights.Reconstruction > 0)
        {
            var rec = l1_loss(x0Pred, x0);
            lossG = lossG + rec * weights.Reconstruction;
            reconstruction = rec.item<float>();
        }
        lossG.backward();
        _optimizerG.step();
        _ema?.Update();
        TrainingBudget.SetRequiresGrad(_c.Discriminator, true);

        var losses = new StepLosses(lossReal.item<float>(), lossFake.item<float>(), r1,
                                    lossAdversarial.item<float>(), reconstruction, lossG.item<float>());
        CheckFinite(losses);
        GlobalStep++;
        return losses;
    }

    private void CheckFinite(StepLosses l)
    {
        foreach (var (name, value) in new[] { ("D loss on real", l.DReal), ("D loss on fake", l.DFake), ("R1 penalty", l.R1), ("G loss", l.G) })
            if (double.IsInfinity(value) || (double.IsNaN(value) && name != "R1 penalty"))
                throw new TrainingDivergedException(GlobalStep, name, value);
        if (!double.IsNaN(l.R1) && !double.IsFinite(l.R1)) throw new TrainingDivergedException(GlobalStep, "R1 penalty", l.R1);
    }

    private void SetLearningRates(int epoch)
    {
        foreach (var group in _optimizerG.ParamGroups)
            group.LearningRate = LearningRates.AtStep(_options.LrSchedule, _options.LrG, _options.LrMin, epoch, _options.NumEpochs, GlobalStep, TotalSteps);
        foreach (var group in _optimizerD.ParamGroups)
            group.LearningRate = LearningRates.AtStep(_options.LrSchedule, _options.LrD, _options.LrMin, epoch, _options.NumEpochs, GlobalStep, TotalSteps);
    }

    public double CurrentLrG => _optimizerG.ParamGroups.First().LearningRate;

    public void Dispose()
    {
        _optimizerG.Dispose();
        _optimizerD.Dispose();
    }
}
