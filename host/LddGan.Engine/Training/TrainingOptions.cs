using LddGan.Abstractions;

namespace LddGan.Engine.Training;

/// <summary>How the learning rate evolves over the run.</summary>
public enum LrSchedule
{
    /// <summary>CosineAnnealingLR(T_max = num_epochs, eta_min = lr_min), stepped once per epoch (DDGAN, WDDGAN).</summary>
    Cosine,
    /// <summary>No decay (LDDGAN's <c>--no_lr_decay</c>).</summary>
    Constant,
    /// <summary>
    /// The same cosine, evaluated at every optimiser step over the run's total steps (max_steps when set). For runs
    /// shorter than a few epochs, where the per-epoch schedule would barely move (not in the official code).
    /// </summary>
    CosineSteps,
}

/// <summary>
/// The <c>[train]</c> section. Defaults are the official DDGAN CIFAR-10 settings (reference-models.md §2, §8.1),
/// except the intervals, which are in optimiser steps so CPU-sized runs can log and preview often.
/// </summary>
public sealed record TrainingOptions : IValidatableOptions
{
    /// <summary>Samples per optimiser step (official CIFAR-10: 64).</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Passes over the dataset; also the length of the cosine LR schedule (official CIFAR-10: 1800).</summary>
    public int NumEpochs { get; init; } = 1800;
    /// <summary>Stop after this many optimiser steps (0: run all epochs).</summary>
    public long MaxSteps { get; init; }
    /// <summary>
    /// Stop when the run's training wall time, summed over every resume, reaches this many hours (0: no limit): runs of
    /// different models given the same time. The learning-rate schedule still follows num_epochs and max_steps.
    /// </summary>
    public double MaxHours { get; init; }
    /// <summary>Generator learning rate (Adam).</summary>
    public double LrG { get; init; } = 1.6e-4;
    /// <summary>Discriminator learning rate (Adam).</summary>
    public double LrD { get; init; } = 1.25e-4;
    /// <summary>Adam β₁ for both networks.</summary>
    public double Beta1 { get; init; } = 0.5;
    /// <summary>Adam β₂ for both networks.</summary>
    public double Beta2 { get; init; } = 0.9;
    /// <summary><c>cosine</c> (to lr_min over num_epochs, stepped per epoch), <c>cosine_steps</c> (to lr_min over the run's steps, stepped every step) or <c>constant</c>.</summary>
    public LrSchedule LrSchedule { get; init; } = LrSchedule.Cosine;
    /// <summary>Final learning rate of the cosine schedule.</summary>
    public double LrMin { get; init; } = 1e-5;
    /// <summary>R1 weight γ; the penalty is (γ/2)·E‖∇D(x_t)‖² on the real x_t.</summary>
    public double R1Gamma { get; init; } = 0.02;
    /// <summary>Apply R1 when global_step % lazy_reg == 0 (1: every step). Not rescaled by the interval, as the official code.</summary>
    public int LazyReg { get; init; } = 15;
    /// <summary>EMA decay of the generator weights (0 disables EMA; then the raw weights are saved and sampled).</summary>
    public double EmaDecay { get; init; } = 0.9999;
    /// <summary>Write a line to metrics.jsonl (and the console) every this many steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Write a preview grid every this many steps (0: only at the end).</summary>
    public int SampleEvery { get; init; } = 500;
    /// <summary>Write the checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Samples in each preview grid (fixed seed, EMA weights).</summary>
    public int PreviewCount { get; init; } = 64;
    /// <summary>
    /// Assemble the next batch (indices, <c>GetBatch</c>, augmentation) on a background thread while the current step
    /// trains. Results, checkpoints and resume are the same either way; false makes each step wait for its batch, to
    /// measure the data time (<c>data_ms</c> in metrics.jsonl).
    /// </summary>
    public bool Prefetch { get; init; } = true;
    /// <summary>Intra-op CPU threads (0: libtorch's default).</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Measure FID, precision and recall every this many steps (0: never): eval_samples samples of the EMA generator at
    /// a fixed seed against the recipe's dataset (its test split when it has one), in the fmnist feature network's space;
    /// written to metrics.jsonl and TensorBoard. The reference features are prepared (and cached) before the first step.
    /// Each time the FID is the lowest so far, the full training state is also written to checkpoints/best.ckpt (its
    /// meta data holds that evaluation), so a run that gets worse late keeps its best state.
    /// </summary>
    public int EvalEvery { get; init; }
    /// <summary>Samples generated, and real images compared, at each eval_every evaluation.</summary>
    public int EvalSamples { get; init; } = 2000;
    /// <summary>Gaussian diffusion only: clip the gradient norm to this (score_sde: 1; 0: no clipping).</summary>
    public double GradClip { get; init; }
    /// <summary>Gaussian diffusion only: linear learning-rate warm-up over this many steps (score_sde: 5000; 0: none).</summary>
    public int Warmup { get; init; }
    /// <summary>Class-conditional models: the fraction of labels replaced by "no class" in training, for classifier-free guidance (0.1 is usual).</summary>
    public double LabelDropout { get; init; }

    public IEnumerable<string> Validate()
    {
        if (BatchSize < 1) yield return "batch_size must be at least 1";
        if (NumEpochs < 1) yield return "num_epochs must be at least 1";
        if (MaxSteps < 0) yield return "max_steps must be 0 (no limit) or positive";
        if (MaxHours < 0 || double.IsNaN(MaxHours)) yield return $"max_hours must be 0 (no limit) or positive, got {MaxHours}";
        if (LrG <= 0 || LrD <= 0) yield return "lr_g and lr_d must be positive";
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) yield return "beta1 and beta2 must be in [0, 1)";
        if (LrMin < 0) yield return "lr_min must be non-negative";
        if (R1Gamma < 0) yield return "r1_gamma must be non-negative";
        if (LazyReg < 1) yield return "lazy_reg must be at least 1 (1 = every step)";
        if (EmaDecay is < 0 or >= 1) yield return "ema_decay must be in [0, 1) (0 disables EMA)";
        if (LogEvery < 1) yield return "log_every must be at least 1";
        if (SampleEvery < 0 || CheckpointEvery < 0) yield return "sample_every and checkpoint_every must be non-negative";
        if (PreviewCount < 1) yield return "preview_count must be at least 1";
        if (Threads < 0) yield return "threads must be 0 (default) or positive";
        if (EvalEvery < 0) yield return "eval_every must be 0 (no evaluation during training) or a positive number of steps";
        if (GradClip < 0) yield return "grad_clip must be non-negative (0: no clipping)";
        if (Warmup < 0) yield return "warmup must be non-negative (0: no warm-up)";
        if (LabelDropout is < 0 or >= 1) yield return "label_dropout must be in [0, 1)";
        if (EvalSamples < 10) yield return "eval_samples must be at least 10 (FID and precision/recall need several samples; 2000 or more for stable numbers)";
    }
}
