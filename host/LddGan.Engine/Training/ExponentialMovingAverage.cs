using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>
/// EMA of the generator's parameters, kept in a second generator module of the same architecture (the official
/// EMA.py keeps it inside the optimizer). As the official code: the average starts from the parameters after the
/// first optimiser step, then ema ← decay·ema + (1−decay)·param; no warm-up, buffers are copied.
/// </summary>
public sealed class ExponentialMovingAverage(nn.Module source, nn.Module average, double decay) : IDisposable
{
    private bool _initialised;

    public nn.Module Average => average;
    public double Decay => decay;

    public void Update()
    {
        using var _ = no_grad();
        var target = average.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in source.named_parameters())
        {
            var ema = target[name];
            if (!_initialised) ema.copy_(parameter);
            else ema.lerp_(parameter, 1.0 - decay);
        }
        var targetBuffers = average.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, buffer) in source.named_buffers()) targetBuffers[name].copy_(buffer);
        _initialised = true;
    }

    /// <summary>True once the first update has run (then the average differs from a fresh copy).</summary>
    public bool Initialised { get => _initialised; set => _initialised = value; }

    public void Dispose() => average.Dispose();
}
