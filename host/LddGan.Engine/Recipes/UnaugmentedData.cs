using LddGan.Engine.Components;

namespace LddGan.Engine.Recipes;

/// <summary>
/// A dataset spec as a measurement reads it (evaluation references, held-out reconstruction): the same options with
/// augmentation off (<c>RandomFlip</c> = false), every sample (<c>Limit</c> = 0) and, where the options have one, the
/// requested <c>Split</c>. Any dataset type works, plugins' included: the options are copied and these three init
/// properties set by name through reflection when they exist with those types (string Split, bool RandomFlip, int or
/// long Limit); a dataset without them is read as it is.
/// </summary>
public static class UnaugmentedData
{
    /// <summary>Whether the dataset's options have a <c>split</c> (a string property named Split).</summary>
    public static bool HasSplit(ComponentSpec data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Property(data.Options.GetType(), "Split", typeof(string)) is not null;
    }

    /// <summary>
    /// A copy of <paramref name="data"/> (its options record is not changed) with no flip, no limit and, when the
    /// options have a split and <paramref name="split"/> is given, that split.
    /// </summary>
    public static ComponentSpec Of(ComponentSpec data, string? split)
    {
        ArgumentNullException.ThrowIfNull(data);
        var type = data.Options.GetType();
        var options = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"[data] type \"{data.Type}\": its options record {type.Name} has no parameterless constructor.");
        foreach (var property in OptionsBinder.BindableProperties(type)) property.SetValue(options, property.GetValue(data.Options));
        if (split is not null) Property(type, "Split", typeof(string))?.SetValue(options, split);
        Property(type, "RandomFlip", typeof(bool))?.SetValue(options, false);
        if (Property(type, "Limit", typeof(int)) is { } limit) limit.SetValue(options, 0);
        else Property(type, "Limit", typeof(long))?.SetValue(options, 0L);
        return data with { Options = options };
    }

    /// <summary>The value of the options' Split, or null when they have none.</summary>
    public static string? SplitOf(ComponentSpec data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Property(data.Options.GetType(), "Split", typeof(string))?.GetValue(data.Options) as string;
    }

    /// <summary>The value of the options' Path (a file or folder), or null when they have none.</summary>
    public static string? PathOf(ComponentSpec data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Property(data.Options.GetType(), "Path", typeof(string))?.GetValue(data.Options) as string;
    }

    private static System.Reflection.PropertyInfo? Property(Type optionsType, string name, Type propertyType) =>
        OptionsBinder.BindableProperties(optionsType).FirstOrDefault(p => p.Name == name && p.PropertyType == propertyType);
}
