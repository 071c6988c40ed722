using LddGan.Abstractions;

namespace LddGan.Engine.Recipes;

/// <summary>The <c>[sample]</c> section: defaults for <c>lddgan sample</c>.</summary>
public sealed record SamplingOptions : IValidatableOptions
{
    /// <summary>Number of samples <c>lddgan sample</c> writes by default.</summary>
    public int N { get; init; } = 64;
    /// <summary>Grid columns (0: square-ish).</summary>
    public int Columns { get; init; }
    /// <summary>Samples generated per batch.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Seed of the sampling noise (0: the recipe seed).</summary>
    public long Seed { get; init; }

    public IEnumerable<string> Validate()
    {
        if (N < 1) yield return "n must be at least 1";
        if (Columns < 0) yield return "columns must be non-negative";
        if (BatchSize < 1) yield return "batch_size must be at least 1";
    }
}

/// <summary>The <c>[output]</c> section.</summary>
public sealed record OutputOptions : IValidatableOptions
{
    /// <summary>Run directory; relative paths are relative to the current directory. Empty: runs/&lt;name&gt;.</summary>
    public string Dir { get; init; } = "";

    public IEnumerable<string> Validate() { yield break; }
}

/// <summary>The <c>[runtime]</c> section: how the device computes (for training, sampling, evaluation and benchmarks alike).</summary>
public sealed record RuntimeOptions : IValidatableOptions
{
    /// <summary>
    /// Let CUDA convolutions and matrix products use TF32 tensor cores (10-bit mantissa inputs, fp32 accumulation):
    /// several times faster on Ampere and newer GPUs, results differ from strict fp32 at about 1e-3 relative. PyTorch's
    /// default is on for convolutions and off for matrix products; this sets both. No effect on the CPU.
    /// </summary>
    public bool Tf32 { get; init; } = true;
    /// <summary>
    /// cuDNN autotuning (<c>torch.backends.cudnn.benchmark</c>): every convolution shape is timed once with each
    /// algorithm and the fastest kept; the first steps are slower, later ones faster. No effect on the CPU.
    /// </summary>
    public bool CudnnBenchmark { get; init; } = true;

    public IEnumerable<string> Validate() { yield break; }
}
