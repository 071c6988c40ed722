using System.Collections;
using System.Reflection;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;

namespace LddGan.Scripting;

/// <summary>
/// Composes a recipe in C#, section by section, with the same keys as a TOML recipe:
/// <code>
/// var recipe = Recipe("ddgan-quick").Seed(1024)
///     .Data("fashion-mnist", new { limit = 2048 })
///     .Generator("ncsnpp", new { nf = 16, ch_mult = new[] { 1, 2 } })
///     .Discriminator("ddgan-small", new { ngf = 16 })
///     .Train(new { batch_size = 32, max_steps = 100 })
///     .Build();
/// </code>
/// <see cref="Build"/> writes the recipe as TOML and reads it through the TOML loader, so a script and a TOML file
/// with the same content are the same recipe: same validation, same defaults, same errors, same run.
/// </summary>
public sealed class RecipeBuilder
{
    private static readonly string[] Order = ["data", "latent", "diffusion", "generator", "discriminator", "loss", "train", "sample", "output", "runtime"];

    private readonly ComponentCatalog _catalog;
    private readonly string _source;
    private readonly string _name;
    private readonly Dictionary<string, (string? Type, List<(string Key, object? Value)> Keys)> _sections = new(StringComparer.Ordinal);
    private long? _seed;
    private string? _device;

    internal RecipeBuilder(ComponentCatalog catalog, string name, string source)
    {
        _catalog = catalog;
        _name = name;
        _source = source;
    }

    public RecipeBuilder Seed(long seed) { _seed = seed; return this; }
    public RecipeBuilder Device(string device) { _device = device; return this; }

    public RecipeBuilder Data(string type, object? options = null) => Component("data", type, options);
    public RecipeBuilder Latent(string type, object? options = null) => Component("latent", type, options);
    public RecipeBuilder Diffusion(string type, object? options = null) => Component("diffusion", type, options);
    public RecipeBuilder Generator(string type, object? options = null) => Component("generator", type, options);
    public RecipeBuilder Discriminator(string type, object? options = null) => Component("discriminator", type, options);
    public RecipeBuilder Loss(string type, object? options = null) => Component("loss", type, options);

    public RecipeBuilder Train(object options) => Plain("train", options);
    public RecipeBuilder Sample(object options) => Plain("sample", options);
    public RecipeBuilder Output(object options) => Plain("output", options);
    public RecipeBuilder Runtime(object options) => Plain("runtime", options);

    /// <summary>The recipe as TOML text (only what was set; <see cref="Build"/> fills in the defaults).</summary>
    public string ToToml()
    {
        var w = new TomlWriter();
        w.Key("name", _name);
        if (_seed is { } seed) w.Key("seed", seed);
        if (_device is not null) w.Key("device", _device);
        foreach (var section in Order)
        {
            if (!_sections.TryGetValue(section, out var content)) continue;
            w.Table(section);
            if (content.Type is not null) w.Key("type", content.Type);
            w.Keys(content.Keys);
        }
        return w.ToString();
    }

    /// <summary>The complete recipe, validated; a mistake throws <see cref="RecipeException"/> naming the key.</summary>
    public Recipe Build()
    {
        try { return new RecipeLoader(_catalog).Parse(ToToml(), _source); }
        catch (RecipeException e)
        {
            // Positions would point into the generated TOML, not the script: keep the key names, drop (line,col).
            var position = new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(_source) + @"\(\d+,\d+\)");
            throw new RecipeException(e.Errors.Select(line => position.Replace(line, _source)).ToList());
        }
    }

    private RecipeBuilder Component(string section, string type, object? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _sections[section] = (type, KeysOf(options));
        return this;
    }

    private RecipeBuilder Plain(string section, object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = _sections.TryGetValue(section, out var existing) ? existing.Keys : [];
        foreach (var (key, value) in KeysOf(options))
        {
            keys.RemoveAll(k => k.Key == key);
            keys.Add((key, value));
        }
        _sections[section] = (null, keys);
        return this;
    }

    /// <summary>Keys and values of an anonymous object or a dictionary, in the order given.</summary>
    private static List<(string Key, object? Value)> KeysOf(object? options) => options switch
    {
        null => [],
        IDictionary<string, object?> d => d.Select(kv => (kv.Key, kv.Value)).ToList(),
        IDictionary d => d.Keys.Cast<object>().Select(k => (k.ToString()!, d[k])).ToList(),
        _ => options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                   .Select(p => (p.Name, p.GetValue(options))).ToList(),
    };
}
