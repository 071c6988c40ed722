using System.Collections;
using System.Globalization;
using System.Text;
using LddGan.Engine.Components;

namespace LddGan.Engine.Recipes;

/// <summary>Writes resolved recipes: every key written out, numbers in round-trip form, so a rerun reads back identical values.</summary>
public sealed class TomlWriter
{
    private readonly StringBuilder _sb = new();

    public TomlWriter Comment(string text) { _sb.Append("# ").AppendLine(text); return this; }

    public TomlWriter Table(string name) { _sb.AppendLine().Append('[').Append(name).AppendLine("]"); return this; }

    public TomlWriter Key(string key, object? value)
    {
        if (value is null) return this; // TOML has no null: an absent key means "default/none".
        _sb.Append(key).Append(" = ").AppendLine(Format(value));
        return this;
    }

    public TomlWriter Keys(IEnumerable<(string Key, object? Value)> pairs)
    {
        foreach (var (k, v) in pairs) Key(k, v);
        return this;
    }

    public override string ToString() => _sb.ToString();

    /// <summary>
    /// A resolved recipe of any kind: the header comment, the top-level keys, each component section with its type and
    /// every option, then the plain sections with every option.
    /// </summary>
    public static string Recipe(string? header, string name, long seed, string device, IReadOnlyList<string> pluginFolders,
                                IEnumerable<(string Section, ComponentSpec Spec)> components, IEnumerable<(string Section, object Options)> plainSections)
    {
        var w = new TomlWriter();
        if (header is not null) foreach (var line in header.Split('\n')) w.Comment(line.TrimEnd());
        w.Key("name", name).Key("seed", seed).Key("device", device);
        if (pluginFolders.Count > 0) w.Key("plugin_folders", pluginFolders);
        foreach (var (section, spec) in components)
            w.Table(section).Key("type", spec.Type).Keys(OptionsBinder.Values(spec.Options));
        foreach (var (section, options) in plainSections)
            w.Table(section).Keys(OptionsBinder.Values(options));
        return w.ToString();
    }

    public static string Format(object value) => value switch
    {
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int or long or short or byte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        Enum e => Quote(SnakeCase.From(e.ToString())),
        IEnumerable seq => "[" + string.Join(", ", seq.Cast<object>().Select(Format)) + "]",
        _ => Quote(value.ToString() ?? ""),
    };

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains('e') ? s.Replace("E", "e") : s + ".0";
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }
}
