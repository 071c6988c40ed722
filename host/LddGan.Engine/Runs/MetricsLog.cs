using System.Text.Json;

namespace LddGan.Engine.Runs;

/// <summary>Appends one JSON object per line to metrics.jsonl (flushed per line so a crash loses nothing written).</summary>
public sealed class MetricsLog(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public void Write(IReadOnlyDictionary<string, object?> record)
    {
        var clean = record.ToDictionary(kv => kv.Key, kv => kv.Value is double d && !double.IsFinite(d) ? null : kv.Value);
        _writer.WriteLine(JsonSerializer.Serialize(clean));
    }

    public void Dispose() => _writer.Dispose();
}
