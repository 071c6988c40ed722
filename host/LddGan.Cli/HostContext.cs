using LddGan.Engine.Components;
using LddGan.Engine.Plugins;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>The host's loaded components: built-ins plus the plugins found in the plugin folders.</summary>
public sealed class HostContext : IDisposable
{
    private readonly PluginDirectoryLoader _loader = new();

    public HostContext(IEnumerable<string> extraPluginFolders)
    {
        Catalog = ComponentCatalog.WithBuiltIns();
        Folders = PluginDirectoryLoader.DefaultFolders().Concat(extraPluginFolders).ToList();
        Plugins = _loader.LoadInto(Catalog, Folders, warning => AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}"));
    }

    public ComponentCatalog Catalog { get; }
    public IReadOnlyList<string> Folders { get; }
    public IReadOnlyList<LoadedPlugin> Plugins { get; }

    public void Dispose() => _loader.Dispose();
}
