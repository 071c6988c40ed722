using System.Runtime.InteropServices;

namespace LddGan.Cli;

/// <summary>
/// The one way every training in this process learns that it should stop: SIGINT (Ctrl+C) and SIGTERM (`kill`,
/// `docker stop`, job schedulers) cancel <see cref="Token"/>; the training finishes its current step, writes a
/// checkpoint atomically, says how to resume, and the process exits 130 (SIGINT) or 143 (SIGTERM).
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public StopSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;   // the training stops itself, after saving
                Received ??= context.Signal;
                _cancel.Cancel();
            }));
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>The first stop signal received, if any.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>The conventional exit code of a process stopped by the signal: 128 + its number.</summary>
    public int ExitCode => Received == PosixSignal.SIGTERM ? 143 : ErrorReporting.Interrupted;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
    }
}
