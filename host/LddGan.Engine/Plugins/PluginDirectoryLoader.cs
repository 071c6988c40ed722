using LddGan.Abstractions;
using LddGan.Engine.Components;
using McMaster.NETCore.Plugins;
using TorchSharp;

namespace LddGan.Engine.Plugins;

/// <summary>A plugin found in a folder and what it registered.</summary>
public sealed record LoadedPlugin(string AssemblyPath, string Version, IReadOnlyList<ComponentRegistration> Components);

/// <summary>
/// Finds plugins as <c>&lt;folder&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c> and loads each in its own collectible load context.
/// TorchSharp and the abstractions are shared with the host: a plugin must never bring its own copy of them
/// (a second libtorch aborts the process).
/// </summary>
public sealed class PluginDirectoryLoader : IDisposable
{
    private readonly List<PluginLoader> _loaders = new();

    /// <summary>The default plugin folder: <c>plugins/</c> next to the host, plus <c>LDDGAN_PLUGIN_PATH</c> (path-separated).</summary>
    public static IReadOnlyList<string> DefaultFolders()
    {
        var folders = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        var extra = Environment.GetEnvironmentVariable("LDDGAN_PLUGIN_PATH");
        if (!string.IsNullOrWhiteSpace(extra))
            folders.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return folders;
    }

    public IReadOnlyList<LoadedPlugin> LoadInto(ComponentCatalog catalog, IEnumerable<string> folders, Action<string>? warn = null)
    {
        var loaded = new List<LoadedPlugin>();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var pluginDir in Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal))
            {
                string dll = Path.Combine(pluginDir, Path.GetFileName(pluginDir) + ".dll");
                if (!File.Exists(dll)) continue;
                try
                {
                    var loader = PluginLoader.CreateFromAssemblyFile(Path.GetFullPath(dll), isUnloadable: true,
                        sharedTypes: [typeof(IComponentFactory), typeof(torch)]);
                    var assembly = loader.LoadDefaultAssembly();
                    var components = catalog.RegisterAssembly(assembly, dll);
                    _loaders.Add(loader);
                    loaded.Add(new LoadedPlugin(dll, assembly.GetName().Version?.ToString() ?? "?", components));
                }
                catch (ComponentResolutionException) { throw; }
                catch (Exception e)
                {
                    warn?.Invoke($"plugin {dll} was not loaded: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        return loaded;
    }

    public void Dispose()
    {
        foreach (var loader in _loaders) loader.Dispose();
        _loaders.Clear();
    }
}
