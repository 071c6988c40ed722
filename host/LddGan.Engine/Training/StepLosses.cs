using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>The losses of one optimisation step. <see cref="R1"/> is NaN on steps without the (lazy) penalty.</summary>
public readonly record struct StepLosses(double DReal, double DFake, double R1, double GAdversarial, double GReconstruction, double G);

/// <summary>
/// The losses of one step as they sit on the training device. Reading them (<see cref="Read"/>) waits for the device
/// to finish the step, so the training loop reads them only when it logs, previews or checkpoints: between reads, a GPU
/// runs ahead of the host. Reading once caches the values; <see cref="Dispose"/> frees the device tensor.
/// </summary>
public sealed class PendingStepLosses : IDisposable
{
    private Tensor? _values;   // [6] float32 on the device, in StepLosses order; NaN where a term is absent
    private StepLosses? _read;

    /// <param name="step">The 0-based index of the step (what a divergence is reported against).</param>
    /// <param name="values">Six detached scalars in <see cref="StepLosses"/> order, stacked; this object owns it.</param>
    /// <param name="adversarial">False for a model trained without a discriminator (its D terms are NaN, its loss is <see cref="StepLosses.G"/>).</param>
    internal PendingStepLosses(long step, Tensor values, bool adversarial = true) { Step = step; _values = values; Adversarial = adversarial; }

    private PendingStepLosses(long step, StepLosses known) { Step = step; _read = known; }

    private PendingStepLosses(long step, Func<StepLosses> reader) { Step = step; _reader = reader; }

    private Func<StepLosses>? _reader;

    /// <summary>Losses already on the host (a test).</summary>
    public static PendingStepLosses Known(long step, StepLosses losses) => new(step, losses);

    /// <summary>Losses another object holds on the device (an autoencoder step): <paramref name="read"/> runs on the first <see cref="Read"/>.</summary>
    public static PendingStepLosses Deferred(long step, Func<StepLosses> read) => new(step, read);

    public long Step { get; }

    /// <summary>Whether the step trained a discriminator; a Gaussian diffusion step has only the denoising loss (in G and GReconstruction).</summary>
    public bool Adversarial { get; } = true;

    /// <summary>True once the values were copied to the host.</summary>
    public bool IsRead => _read is not null;

    /// <summary>The values (one host synchronisation on first read).</summary>
    public StepLosses Read()
    {
        if (_read is { } known) return known;
        if (_reader is { } reader)
        {
            _read = reader();
            _reader = null;
            return _read.Value;
        }
        if (_values is null)
            throw new InvalidOperationException($"the losses of step {Step} were released before they were read");
        using var host = _values.cpu();
        var v = host.data<float>().ToArray();
        _read = new StepLosses(v[0], v[1], v[2], v[3], v[4], v[5]);
        _values.Dispose();
        _values = null;
        return _read.Value;
    }

    /// <summary>Reads the values and stops with <see cref="TrainingDivergedException"/> when a loss is NaN or infinite.</summary>
    public StepLosses ReadFinite()
    {
        var l = Read();
        if (!Adversarial)
        {
            if (!double.IsFinite(l.G)) throw new TrainingDivergedException(Step, "denoising loss", l.G);
            return l;
        }
        foreach (var (name, value) in new[] { ("D loss on real", l.DReal), ("D loss on fake", l.DFake), ("G loss", l.G) })
            if (!double.IsFinite(value)) throw new TrainingDivergedException(Step, name, value);
        if (double.IsInfinity(l.R1)) throw new TrainingDivergedException(Step, "R1 penalty", l.R1);
        return l;
    }

    public void Dispose()
    {
        _values?.Dispose();
        _values = null;
    }
}

/// <summary>Thrown when a loss becomes NaN or infinite; training stops and nothing is saved over the last good checkpoint.</summary>
/// <param name="stepIndex">The 0-based index of the step; messages count steps from 1, as the progress and metrics.jsonl do.</param>
public sealed class TrainingDivergedException(long stepIndex, string loss, double value, string? checkpointNote = null)
    : Exception($"training diverged at step {stepIndex + 1}: {loss} = {value}. " +
                (checkpointNote ?? "Nothing was saved after it.") + " " +
                "Try a lower learning rate or a larger r1_gamma, or resume from the checkpoint with a different seed.")
{
    /// <summary>The step as shown (1-based).</summary>
    public long Step { get; } = stepIndex + 1;
    public string Loss { get; } = loss;

    /// <summary>The same divergence, with what the run has on disk.</summary>
    public TrainingDivergedException WithCheckpointNote(string note) => new(Step - 1, Loss, value, note);
}
