using System.Runtime.InteropServices;

namespace LddGan.Cli;

/// <summary>
/// The one way work in this process learns that it should stop: SIGINT (Ctrl+C) and SIGTERM (`kill`, `docker stop`,
/// job schedulers). While a training runs inside <see cref="Listen"/>, the first signal cancels <see cref="Token"/>: the
/// training finishes its current step, writes a checkpoint atomically, says how to resume, and the process exits 130
/// (SIGINT) or 143 (SIGTERM). Otherwise (sampling, evaluation, benchmarks, a script between trainings), and on a second
/// signal, the signal's default action ends the process at once; what those commands save (evaluation progress, grids)
/// is written atomically, so nothing saved is lost.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _listeners;

    public StopSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (Received is not null || Volatile.Read(ref _listeners) == 0) return;   // the default action: the process ends now
                context.Cancel = true;   // the training stops itself, after saving
                Received = context.Signal;
                Console.Error.WriteLine($"{context.Signal}: stopping cleanly (a training ends its step and saves a checkpoint; signal again to quit at once)");
                _cancel.Cancel();
            }));
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>
    /// Held by work that stops cleanly when <see cref="Token"/> is cancelled, for as long as it runs: a signal then
    /// cancels the token instead of ending the process.
    /// </summary>
    public IDisposable Listen()
    {
        Interlocked.Increment(ref _listeners);
        return new Listening(this);
    }

    /// <summary>The first stop signal received while work was listening, if any.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>The conventional exit code of a process stopped by the signal: 128 + its number.</summary>
    public int ExitCode => Received == PosixSignal.SIGTERM ? 143 : ErrorReporting.Interrupted;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
    }

    private sealed class Listening(StopSignals signals) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref signals._listeners);
        }
    }
}
