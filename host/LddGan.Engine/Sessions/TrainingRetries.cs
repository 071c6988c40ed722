using System.Runtime.InteropServices;
using LddGan.Engine.Checkpoints;

namespace LddGan.Engine.Sessions;

/// <summary>
/// Continues a training from its latest checkpoint when libtorch fails in the middle of a run. Hours-long CPU runs have
/// been stopped by libtorch errors that did not come back when the same steps were trained again (TorchSharp 0.107 frees
/// a temporary Scalar from the finalizer thread, which can race with the native call still reading it). Resume is
/// bit-exact, so the run continues as if uninterrupted: the steps after the checkpoint are trained again with the same
/// data, noise and results. An error that is not transient comes back and stops the run when the retries are spent;
/// out-of-memory errors are never retried.
/// </summary>
public static class TrainingRetries
{
    /// <param name="retries">How many times to continue from the latest checkpoint (0: fail at the first error).</param>
    /// <param name="resume">Whether the first attempt resumes (--resume); every retry does.</param>
    /// <param name="trainOnce">Builds a session with the given resume flag and runs it to the end.</param>
    /// <param name="latestCheckpoint">The run's latest.ckpt path, known once a session has been built (null before).</param>
    /// <param name="note">Says what failed and where the run continues from.</param>
    public static void Run(int retries, bool resume, Action<bool> trainOnce, Func<string?> latestCheckpoint, Action<string> note)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                trainOnce(resume);
                return;
            }
            catch (ExternalException e) when (attempt <= retries && !IsOutOfMemory(e) && latestCheckpoint() is { } path && File.Exists(path))
            {
                long step;
                using (var reader = CheckpointFile.Open(path)) step = reader.Meta.GlobalStep;
                note($"libtorch failed during training: {e.Message.Split('\n')[0].Trim()}. Retry {attempt} of {retries}: continuing from " +
                     $"{path} (step {step:N0}); the steps after it are trained again bit-exactly, so an error that is not transient comes back.");
                resume = true;
            }
        }
    }

    /// <summary>libtorch's words for it: CUDA's "out of memory", the CPU allocator's "not enough memory" and "can't allocate memory".</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                                  || e.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
                                  || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase);
}
