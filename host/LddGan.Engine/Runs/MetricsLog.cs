using System.Text.Json;

namespace LddGan.Engine.Runs;

/// <summary>Appends one JSON object per line to metrics.jsonl (flushed per line so a crash loses nothing written).</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    /// <param name="resumedAtStep">
    /// When a run resumes from a checkpoint of this step, the lines of later steps (written after that checkpoint by a
    /// run that then crashed) are dropped first: the resumed run writes them again, so each step stays in the log once.
    /// </param>
    public MetricsLog(string path, long? resumedAtStep = null)
    {
        if (resumedAtStep is { } step && File.Exists(path)) KeepStepsUpTo(path, step);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    private static void KeepStepsUpTo(string path, long step)
    {
        var kept = File.ReadLines(path).Where(line =>
        {
            try { return JsonDocument.Parse(line).RootElement.TryGetProperty("step", out var s) && s.GetInt64() <= step; }
            catch (JsonException) { return false; }   // a line cut by the crash
        }).ToList();
        string temp = path + ".tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, path, overwrite: true);
    }

    public void Write(IReadOnlyDictionary<string, object?> record)
    {
        var clean = record.ToDictionary(kv => kv.Key, kv => kv.Value is double d && !double.IsFinite(d) ? null : kv.Value);
        _writer.WriteLine(JsonSerializer.Serialize(clean));
    }

    public void Dispose() => _writer.Dispose();
}
