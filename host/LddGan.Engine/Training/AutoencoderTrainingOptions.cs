using LddGan.Abstractions;

namespace LddGan.Engine.Training;

/// <summary>
/// The <c>[train]</c> section of an autoencoder recipe: VQGAN's objective (taming's <c>VQLPIPSWithDiscriminator</c>)
/// L1 + perceptual_weight·perceptual + adaptive_weight·disc_weight·hinge generator loss + codebook_weight·codebook loss,
/// and the optimiser (Adam with β = (0.5, 0.9) for the autoencoder and the discriminator, as taming).
/// </summary>
public sealed record AutoencoderTrainingOptions : IValidatableOptions
{
    /// <summary>Images per optimiser step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Passes over the dataset.</summary>
    public int NumEpochs { get; init; } = 10;
    /// <summary>Stop after this many optimiser steps (0: run all epochs).</summary>
    public long MaxSteps { get; init; }
    /// <summary>Learning rate of the autoencoder and of the discriminator (taming: 4.5e-6 × batch size × GPUs).</summary>
    public double Lr { get; init; } = 1e-4;
    /// <summary>Adam β₁.</summary>
    public double Beta1 { get; init; } = 0.5;
    /// <summary>Adam β₂.</summary>
    public double Beta2 { get; init; } = 0.9;
    /// <summary>Weight of the codebook (+ commitment) loss (<c>codebook_weight</c>).</summary>
    public double CodebookWeight { get; init; } = 1.0;
    /// <summary>Weight of the perceptual distance added to the per-pixel L1 (<c>perceptual_weight</c>).</summary>
    public double PerceptualWeight { get; init; } = 1.0;
    /// <summary>Scale of the adversarial term after the adaptive weight (<c>disc_weight</c>; LDM's vq-f4: 0.75).</summary>
    public double DiscWeight { get; init; } = 0.75;
    /// <summary>Step from which the discriminator is trained and its loss used (<c>disc_start</c>); before it, D is not run.</summary>
    public long DiscStart { get; init; } = 1;
    /// <summary>Write a line to metrics.jsonl (and the console) every this many steps.</summary>
    public int LogEvery { get; init; } = 20;
    /// <summary>Write a grid of inputs and reconstructions every this many steps (0: only at the end).</summary>
    public int SampleEvery { get; init; } = 500;
    /// <summary>Write the checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Images in each preview (shown above their reconstructions).</summary>
    public int PreviewCount { get; init; } = 32;
    /// <summary>Held-out images for the final reconstruction report (L1, PSNR); 0: the whole test split.</summary>
    public int EvalCount { get; init; }
    /// <summary>Training images whose latents set the recommended scale factor (max |latent|) at the end.</summary>
    public int ScaleCount { get; init; } = 5000;
    /// <summary>
    /// Assemble the next batch (indices, <c>GetBatch</c>, augmentation) on a background thread while the current step
    /// trains. Results, checkpoints and resume are the same either way; false makes each step wait for its batch, to
    /// measure the data time (<c>data_ms</c> in metrics.jsonl).
    /// </summary>
    public bool Prefetch { get; init; } = true;
    /// <summary>Intra-op CPU threads (0: libtorch's default).</summary>
    public int Threads { get; init; }

    public IEnumerable<string> Validate()
    {
        if (BatchSize < 1) yield return $"batch_size must be at least 1, got {BatchSize}";
        if (NumEpochs < 1) yield return $"num_epochs must be at least 1, got {NumEpochs}";
        if (MaxSteps < 0) yield return $"max_steps must be 0 (no limit) or positive, got {MaxSteps}";
        if (!(Lr > 0)) yield return $"lr must be positive, got {Lr}";
        if (!(Beta1 is >= 0 and < 1) || !(Beta2 is >= 0 and < 1)) yield return "beta1 and beta2 must lie in [0, 1)";
        if (CodebookWeight < 0 || PerceptualWeight < 0 || DiscWeight < 0) yield return "codebook_weight, perceptual_weight and disc_weight must be non-negative";
        if (DiscStart < 0) yield return $"disc_start must be non-negative, got {DiscStart}";
        if (LogEvery < 1) yield return $"log_every must be at least 1, got {LogEvery}";
        if (SampleEvery < 0 || CheckpointEvery < 0) yield return "sample_every and checkpoint_every must be 0 or positive";
        if (PreviewCount < 1) yield return $"preview_count must be at least 1, got {PreviewCount}";
        if (EvalCount < 0) yield return $"eval_count must be 0 (all) or positive, got {EvalCount}";
        if (ScaleCount < 1) yield return $"scale_count must be at least 1, got {ScaleCount}";
        if (Threads < 0) yield return $"threads must be 0 (default) or positive, got {Threads}";
    }
}
