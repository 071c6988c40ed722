using System.Collections;
using System.Globalization;
using System.Reflection;
using LddGan.Abstractions;
using Tomlyn.Model;

namespace LddGan.Engine.Recipes;

/// <summary>
/// Binds a TOML table onto an options record (public properties with init/set accessors, snake_case keys), strictly:
/// unknown keys, wrong types and out-of-range numbers are errors that name the key.
/// Defaults are those of the record, so a recipe only states what it changes.
/// </summary>
public static class OptionsBinder
{
    public static IReadOnlyList<PropertyInfo> BindableProperties(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                   .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0
                               && p.Name != "EqualityContract")
                   .ToList();

    public static IReadOnlyList<string> KeysOf(Type optionsType) =>
        BindableProperties(optionsType).Select(p => SnakeCase.From(p.Name)).ToList();

    /// <summary>Copies values from <paramref name="table"/> onto <paramref name="options"/>; returns (key, message) errors.</summary>
    public static List<(string Key, string Message)> Bind(object options, TomlTable table, IEnumerable<string>? ignoredKeys = null)
    {
        var errors = new List<(string, string)>();
        var ignored = new HashSet<string>(ignoredKeys ?? []);
        var properties = BindableProperties(options.GetType()).ToDictionary(p => SnakeCase.From(p.Name));
        foreach (var (key, value) in table)
        {
            if (ignored.Contains(key)) continue;
            if (!properties.TryGetValue(key, out var property))
            {
                errors.Add((key, $"unknown key '{key}'.{Components.NameSuggestions.DidYouMean(key, properties.Keys)}"
                                 + $" Valid keys: {string.Join(", ", properties.Keys)}."));
                continue;
            }
            if (!TryConvert(value, property.PropertyType, out var converted, out var why))
            {
                errors.Add((key, $"'{key}' {why}"));
                continue;
            }
            property.SetValue(options, converted);
        }
        if (options is IValidatableOptions validatable)
            foreach (var message in validatable.Validate())
                errors.Add((KeyMentioned(message, properties.Keys), message));
        return errors;
    }

    private static string KeyMentioned(string message, IEnumerable<string> keys) =>
        keys.OrderByDescending(k => k.Length).FirstOrDefault(k => message.Contains(k, StringComparison.Ordinal)) ?? "";

    private static bool TryConvert(object? value, Type target, out object? result, out string why)
    {
        result = null; why = "";
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        switch (value)
        {
            case null:
                why = "has no value"; return false;
            case long l when underlying == typeof(int):
                if (l < int.MinValue || l > int.MaxValue) { why = $"is out of range for an integer: {l}"; return false; }
                result = (int)l; return true;
            case long l when underlying == typeof(long): result = l; return true;
            case long l when underlying == typeof(double): result = (double)l; return true;
            case long l when underlying == typeof(float): result = (float)l; return true;
            case double d when (underlying == typeof(double) || underlying == typeof(float)) && !double.IsFinite(d):
                why = $"must be a finite number, not {(double.IsNaN(d) ? "nan" : d > 0 ? "inf" : "-inf")}"; return false;
            case double d when underlying == typeof(double): result = d; return true;
            case double d when underlying == typeof(float): result = (float)d; return true;
            case bool b when underlying == typeof(bool): result = b; return true;
            case string s when underlying == typeof(string): result = s; return true;
            case string s when underlying.IsEnum:
                var match = Enum.GetNames(underlying).FirstOrDefault(n => SnakeCase.From(n) == s || n.Equals(s, StringComparison.OrdinalIgnoreCase));
                if (match is null) { why = $"must be one of {string.Join(", ", Enum.GetNames(underlying).Select(SnakeCase.From))}, not '{s}'"; return false; }
                result = Enum.Parse(underlying, match); return true;
            case TomlArray array when underlying.IsArray:
                var elementType = underlying.GetElementType()!;
                var typed = Array.CreateInstance(elementType, array.Count);
                for (int i = 0; i < array.Count; i++)
                {
                    if (!TryConvert(array[i], elementType, out var element, out var elementWhy)) { why = $"[{i}] {elementWhy}"; return false; }
                    typed.SetValue(element, i);
                }
                result = typed; return true;
        }
        why = $"must be {Describe(underlying)}, not {DescribeValue(value)}";
        return false;
    }

    private static string Describe(Type t) =>
        t == typeof(int) || t == typeof(long) ? "an integer"
        : t == typeof(double) || t == typeof(float) ? "a number"
        : t == typeof(bool) ? "true or false"
        : t == typeof(string) ? "a string"
        : t.IsArray ? $"an array of {Describe(t.GetElementType()!)}s"
        : t.Name;

    private static string DescribeValue(object v) => v switch
    {
        string s => $"the string \"{s}\"",
        long or double => $"the number {Convert.ToString(v, CultureInfo.InvariantCulture)}",
        bool b => b ? "true" : "false",
        TomlArray => "an array",
        TomlTable => "a table",
        _ => v.GetType().Name,
    };

    /// <summary>The options as ordered (key, value) pairs, for writing resolved recipes.</summary>
    public static IEnumerable<(string Key, object? Value)> Values(object options) =>
        BindableProperties(options.GetType()).Select(p => (SnakeCase.From(p.Name), p.GetValue(options)));

    internal static bool IsSequence(object? value) => value is IEnumerable and not string;
}
