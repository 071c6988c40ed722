using LddGan.Abstractions;
using LddGan.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace LddGan.Engine.Training;

/// <summary>Everything a Gaussian diffusion training run is made of; the trainer owns none of it.</summary>
/// <param name="NetworkEma">A second network of the same architecture that holds the EMA weights (null: no EMA).</param>
public sealed record DenoisingComponents(IDataset Dataset, ILatentSpace LatentSpace, IGaussianDiffusion Process, Denoiser Network, Denoiser? NetworkEma);

/// <summary>
/// The training algorithm of DDPM (Ho et al. 2020, Alg. 1) with the simple loss: per step, t ~ U{0..T−1}, ε ~ N(0, I),
/// x_{t+1} = √ᾱ_{t+1}·x_0 + √(1 − ᾱ_{t+1})·ε, and one Adam step on ‖out(x_{t+1}, t) − target‖² with target ε (or
/// v = √ᾱ·ε − √(1 − ᾱ)·x_0 for v-prediction), then the EMA update. As score_sde: optional gradient-norm clipping
/// (<c>grad_clip</c>) and linear warm-up (<c>warmup</c>). The network gets z = 0: a Gaussian model has no latent noise.
/// </summary>
public sealed class GaussianDiffusionTrainer : IDiffusionTrainer
{
    private readonly DenoisingComponents _c;
    private readonly TrainingOptions _options;
    private readonly RandomStreams _rng;
    private readonly Device _device;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly ExponentialMovingAverage? _ema;
    private readonly EpochCursor _cursor;
    private readonly Tensor _sqrtAlphaBar, _sqrtOneMinusAlphaBar;   // levels 0 … T, float32 on the device

    public GaussianDiffusionTrainer(DenoisingComponents components, TrainingOptions options, RandomStreams rng, Device device)
    {
        _c = components ?? throw new ArgumentNullException(nameof(components));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _rng = rng ?? throw new ArgumentNullException(nameof(rng));
        _device = device;
        _cursor = new EpochCursor(rng.DataOrder);
        ClassConditioning.Check(_c.Dataset, _c.Network);
        CpuGradientNote = Runtime.NativeTorch.OneDnnGradientCheck.EnsureCorrectGradients(device, _c.Network);
        _optimizer = optim.Adam(_c.Network.parameters(), lr: options.LrG, beta1: options.Beta1, beta2: options.Beta2);
        if (_c.NetworkEma is not null && options.EmaDecay > 0)
        {
            _ema = new ExponentialMovingAverage(_c.Network, _c.NetworkEma, options.EmaDecay);
            _c.NetworkEma.load_state_dict(_c.Network.state_dict());
            _c.NetworkEma.eval();
        }
        var alphaBar = _c.Process.AlphasCumprod;
        _sqrtAlphaBar = tensor(alphaBar.Select(a => (float)Math.Sqrt(a)).ToArray()).to(device);
        _sqrtOneMinusAlphaBar = tensor(alphaBar.Select(a => (float)Math.Sqrt(1 - a)).ToArray()).to(device);
    }

    public long GlobalStep { get; private set; }
    public int Epoch => _cursor.Epoch;
    public int BatchInEpoch => _cursor.BatchInEpoch;
    public int BatchesPerEpoch => (int)(_c.Dataset.Count / _options.BatchSize);
    public long TotalSteps => TrainingBudget.TotalSteps(BatchesPerEpoch, _options.NumEpochs, _options.MaxSteps);
    public TrainerPosition Position => _cursor.At(GlobalStep);
    public string? CpuGradientNote { get; }
    public TimeSpan LastDataWait { get; private set; }
    public ExponentialMovingAverage? Ema => _ema;
    public Denoiser SamplingGenerator => _ema is not null ? _c.NetworkEma! : _c.Network;
    public TorchSharp.Modules.OptimizerHelper Optimizer => _optimizer;
    public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers => [("generator", _optimizer)];
    public double CurrentLrG => _optimizer.ParamGroups.First().LearningRate;
    public double CurrentLrD => double.NaN;

    public void RestorePosition(TrainerPosition position)
    {
        GlobalStep = position.GlobalStep;
        _cursor.Restore(position);
    }

    public void Run(Action<PendingStepLosses> afterStep, CancellationToken cancellation = default)
    {
        if (BatchesPerEpoch == 0)
            throw new InvalidOperationException(
                $"the dataset has {_c.Dataset.Count} samples, fewer than one batch of {_options.BatchSize}: lower [train] batch_size.");
        var walk = new BatchWalk(_c.Dataset, _options.BatchSize, _options.NumEpochs, TotalSteps - GlobalStep, WithLabels: ClassConditional);
        using var batches = TrainingBatches.Open(_options.Prefetch, walk, _cursor, _rng, SetLearningRate, cancellation);
        while (batches.Next() is { } batch)
        {
            LastDataWait = batches.LastWait;
            SetLearningRate(Epoch);
            using var scope = NewDisposeScope();
            using var owned = batch;
            Tensor x0;
            using (no_grad()) x0 = _c.LatentSpace.Encode(batch.Data.to(_device, non_blocking: true));
            using PendingStepLosses losses = Step(x0, batch.Labels?.to(_device, non_blocking: true));
            afterStep(losses);
        }
    }

    /// <summary>Whether the network is class-conditional: then batches carry labels, a fraction label_dropout of them replaced by "no class".</summary>
    public bool ClassConditional => _c.Network.NumClasses > 0;

    /// <summary>
    /// One denoising step on a batch of clean latents x_0 (with their class labels for a class-conditional network);
    /// the loss comes back unread (the caller owns it).
    /// </summary>
    public PendingStepLosses Step(Tensor x0, Tensor? classLabels = null)
    {
        ArgumentNullException.ThrowIfNull(x0);
        if (ClassConditional != classLabels is not null)
            throw new ArgumentException(ClassConditional
                ? $"the network is class-conditional ({_c.Network.NumClasses} classes): pass the batch's labels."
                : "class labels were given, but the network is not class-conditional.", nameof(classLabels));
        using var scope = NewDisposeScope();
        long b = x0.shape[0];
        int T = _c.Process.NumTimesteps;
        _optimizer.zero_grad();
        var t = GeneratorNoise.Integers(0, T, [b], _device, _rng.Noise);
        var noise = GeneratorNoise.Normal(x0.shape, x0.dtype, _device, _rng.Noise);
        var shape = Enumerable.Repeat(1L, (int)x0.dim()).ToArray();
        shape[0] = b;
        var level = t + 1;
        var sa = _sqrtAlphaBar.gather(0, level).reshape(shape);
        var so = _sqrtOneMinusAlphaBar.gather(0, level).reshape(shape);
        var xNext = sa * x0 + so * noise;
        var z = zeros([b, Math.Max(_c.Network.NoiseDim, 1)], ScalarType.Float32, _device);
        Tensor output;
        if (classLabels is null) output = _c.Network.call(xNext, t, z);
        else
        {
            // Classifier-free guidance trains the unconditional model in the same network: label "no class" (= NumClasses).
            var labels = classLabels;
            if (_options.LabelDropout > 0)
            {
                var dropped = GeneratorNoise.Uniform([b], ScalarType.Float32, _device, _rng.Noise).lt(_options.LabelDropout);
                labels = where(dropped, full_like(classLabels, _c.Network.NumClasses), classLabels);
            }
            output = _c.Network.forward(xNext, t, z, labels);
        }
        var target = _c.Process.Prediction == PredictionType.V ? sa * noise - so * x0 : noise;
        var loss = mse_loss(output, target);
        loss.backward();
        if (_options.GradClip > 0) GradientClipping.ClipGradNorm(_c.Network.parameters(), _options.GradClip);
        _optimizer.step();
        _ema?.Update();

        var absent = full([], float.NaN, ScalarType.Float32, _device);
        var values = stack([absent, absent, absent, absent, loss, loss]).detach();
        return new PendingStepLosses(GlobalStep++, values.DetachFromDisposeScope(), adversarial: false);
    }

    private void SetLearningRate(int epoch)
    {
        double lr = LearningRates.AtStep(_options.LrSchedule, _options.LrG, _options.LrMin, epoch, _options.NumEpochs, GlobalStep, TotalSteps);
        if (_options.Warmup > 0) lr *= Math.Min(1.0, (GlobalStep + 1.0) / _options.Warmup);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _sqrtAlphaBar.Dispose();
        _sqrtOneMinusAlphaBar.Dispose();
    }
}
