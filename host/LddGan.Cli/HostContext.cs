using LddGan.Engine.Components;
using LddGan.Evaluation;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>
/// The host's loaded components: built-ins plus the plugins found in the plugin folders (next to lddgan,
/// LDDGAN_PLUGIN_PATH, --plugins, and the recipe's plugin_folders). Plugins that cannot be used are reported as
/// warnings; the host goes on without them.
/// </summary>
public sealed class HostContext : IDisposable
{
    public HostContext(IEnumerable<string> extraPluginFolders, RecipeDocument? recipe = null, bool reportProblems = true)
    {
        var recipeFolders = recipe?.PluginFolders ?? [];
        Manager = new PluginManager(PluginManager.DefaultFolders().Concat(extraPluginFolders).Concat(recipeFolders), BuiltInComponents.Assemblies);
        var problems = Manager.LoadAll();
        if (reportProblems) Warn(problems);
    }

    public PluginManager Manager { get; }
    public ComponentCatalog Catalog => Manager.Catalog;
    public IReadOnlyList<string> Folders => Manager.Folders;
    public IReadOnlyList<LoadedPlugin> Plugins => Manager.Plugins;

    public static void Warn(IEnumerable<PluginProblem> problems)
    {
        foreach (var problem in problems)
            AnsiConsole.MarkupLine($"[yellow]plugin warning:[/] {Markup.Escape(problem.Message)}");
    }

    /// <summary>The recipe a sample/eval argument points at: a run directory's resolved recipe, else nothing.</summary>
    public static RecipeDocument? RecipeOfRun(string checkpointOrRun) =>
        Directory.Exists(checkpointOrRun) && File.Exists(Path.Combine(checkpointOrRun, "recipe.resolved.toml"))
            ? RecipeDocument.Read(Path.Combine(checkpointOrRun, "recipe.resolved.toml"))
            : null;

    public void Dispose() => Manager.Dispose();
}
