using LddGan.Abstractions;
using LddGan.Engine.Components;

namespace LddGan.Engine.Recipes;

/// <summary>
/// Reads only the <c>[data]</c> section of a recipe (a diffusion-GAN or autoencoder recipe, or a file with just that
/// section), with the same strictness as the full loaders: unknown keys, wrong types and unknown dataset types are
/// <c>file(line,col)</c> errors. The other sections are not bound, so a recipe whose networks come from plugins that
/// are not loaded can still name a dataset (an evaluation's reference).
/// </summary>
public sealed class DataSectionLoader(ComponentCatalog catalog)
{
    private static readonly ComponentSection Data = new("data", ComponentKind.Dataset, null);

    /// <summary>The <c>[data]</c> section of the recipe file at <paramref name="path"/>.</summary>
    public ComponentSpec LoadFile(string path) => Bind(RecipeDocument.Read(path));

    /// <summary>The <c>[data]</c> section of recipe text; <paramref name="sourceName"/> names it in errors.</summary>
    public ComponentSpec Parse(string text, string sourceName) => Bind(RecipeDocument.Parse(text, sourceName));

    public ComponentSpec Bind(RecipeDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        // Every section the file has is accepted; only [data] is read.
        var sections = document.Root.Where(kv => kv.Value is Tomlyn.Model.TomlTable).Select(kv => kv.Key).Append(Data.Section).Distinct().ToList();
        var binder = new RecipeBinder(document, sections);
        var spec = binder.Component(catalog, Data);
        binder.ThrowIfErrors();
        return spec!;
    }
}
