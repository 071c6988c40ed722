using LddGan.Abstractions;

namespace LddGan.Engine.Runtime;

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
