using System.Reflection;
using System.Security.Cryptography;
using LddGan.Engine.Components;

namespace LddGan.Engine.Plugins;

/// <summary>A plugin the host is serving components from.</summary>
/// <param name="Name">The plugin's folder and assembly name.</param>
/// <param name="AssemblyPath">Where its DLL was read from.</param>
/// <param name="Version">The assembly's informational version.</param>
/// <param name="AbstractionsVersion">The LddGan.Abstractions version it was built against.</param>
/// <param name="Sha256">Hash of the DLL bytes that were loaded (recorded in run.json).</param>
/// <param name="Generation">1 for the first load, +1 for every hot swap.</param>
public sealed record LoadedPlugin(string Name, string AssemblyPath, string Version, string AbstractionsVersion,
                                  string Sha256, IReadOnlyList<ComponentRegistration> Components, int Generation);

/// <summary>A plugin (or folder) that could not be used; the host goes on without it.</summary>
public sealed record PluginProblem(string Path, string Message);

/// <summary>What a <see cref="PluginManager.Refresh"/> changed.</summary>
public sealed record PluginRefresh(IReadOnlyList<LoadedPlugin> Swapped, IReadOnlyList<LoadedPlugin> Added,
                                   IReadOnlyList<string> Removed, IReadOnlyList<PluginProblem> Problems)
{
    public bool CatalogChanged => Swapped.Count + Added.Count + Removed.Count > 0;
}

/// <summary>
/// The host's plugins: finds them in plugin folders (<c>&lt;folder&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>), loads each
/// in its own collectible context, and serves a <see cref="ComponentCatalog"/> of the built-ins plus every plugin
/// that loaded cleanly. Hot swap: <see cref="Refresh"/> loads a rebuilt DLL into a new context beside the old one;
/// the new version serves the next run, and the old one stays as a fallback until <see cref="ConfirmSwaps"/> (the new
/// version built its components) unloads it, or <see cref="RevertSwaps"/> (it did not) brings it back. A plugin that
/// fails to load never replaces a working version. Runs in progress keep the catalog and modules they started with.
/// </summary>
public sealed class PluginManager : IDisposable
{
    private readonly IPluginLoadContextFactory _contexts;
    private readonly IReadOnlyList<ComponentRegistration> _builtIns;
    private readonly SortedDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingFile> _pending = new(StringComparer.Ordinal);
    private readonly List<WeakReference> _retired = [];
    private ComponentCatalog _catalog;
    private bool _disposed;

    /// <param name="folders">Where plugins are looked for.</param>
    /// <param name="builtIns">
    /// The host's own component assemblies besides the engine's (the composition root names them, e.g. Evaluation's
    /// perceptual losses); the engine's are always in.
    /// </param>
    /// <param name="contexts">How plugin assemblies are loaded (tests substitute it).</param>
    public PluginManager(IEnumerable<string> folders, IEnumerable<Assembly>? builtIns = null, IPluginLoadContextFactory? contexts = null)
    {
        Folders = folders.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        _contexts = contexts ?? new McMasterPluginLoadContextFactory();
        _builtIns = ComponentCatalog.BuiltInAssemblies(builtIns).SelectMany(a => ComponentCatalog.Scan(a, "built-in")).ToList();
        _catalog = Compose([]);
    }

    /// <summary>The default plugin folders: <c>plugins/</c> next to the host, plus <c>LDDGAN_PLUGIN_PATH</c> (path-separated).</summary>
    public static IReadOnlyList<string> DefaultFolders()
    {
        var folders = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        var extra = Environment.GetEnvironmentVariable("LDDGAN_PLUGIN_PATH");
        if (!string.IsNullOrWhiteSpace(extra))
            folders.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return folders;
    }

    public IReadOnlyList<string> Folders { get; }

    /// <summary>The components to build runs from now: built-ins plus the serving version of every plugin.</summary>
    public ComponentCatalog Catalog
    {
        get { ObjectDisposedException.ThrowIf(_disposed, this); return _catalog; }
    }

    public IReadOnlyList<LoadedPlugin> Plugins => _slots.Values.Select(s => s.Active.Plugin).ToList();

    /// <summary>Problems of the last load or refresh (folders without plugins, DLLs that are not plugins, clashes, failures).</summary>
    public IReadOnlyList<PluginProblem> Problems { get; private set; } = [];

    /// <summary>Weak references to retired load contexts: each should be collected once its modules are disposed.</summary>
    public IReadOnlyList<WeakReference> RetiredContexts => _retired;

    /// <summary>Whether swapped plugins still hold their previous version as a fallback.</summary>
    public bool HasPendingSwaps => _slots.Values.Any(s => s.Fallback is not null);

    /// <summary>Loads every plugin found in the folders. Call once; later changes come through <see cref="Refresh"/>.</summary>
    public IReadOnlyList<PluginProblem> LoadAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var problems = new List<PluginProblem>();
        foreach (var (name, dll) in Discover(problems))
        {
            if (_slots.ContainsKey(name))
            {
                problems.Add(new PluginProblem(dll, $"a plugin named {name} is already loaded from {_slots[name].Active.Plugin.AssemblyPath}; this copy is ignored. Keep one of them."));
                continue;
            }
            if (TryLoad(name, dll, generation: 1, replacing: null, problems) is { } entry)
                _slots[name] = new Slot(entry);
        }
        Problems = problems;
        _catalog = Compose([]);
        return problems;
    }

    /// <summary>
    /// Looks for added, rebuilt and removed plugins and applies the changes. With <paramref name="waitForStableFiles"/>,
    /// a changed DLL is loaded only once two consecutive refreshes see the same size and time stamp, so a build that is
    /// still writing is not picked up half-way.
    /// </summary>
    public PluginRefresh Refresh(bool waitForStableFiles = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var problems = new List<PluginProblem>();
        var swapped = new List<LoadedPlugin>();
        var added = new List<LoadedPlugin>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, dll) in Discover(problems: null))
        {
            if (!seen.Add(name)) continue;
            var stamp = FileStamp.Of(dll);
            if (_slots.TryGetValue(name, out var slot) && slot.Active.Stamp == stamp) { _pending.Remove(name); continue; }
            if (waitForStableFiles && !(_pending.TryGetValue(name, out var pending) && pending.Stamp == stamp))
            {
                _pending[name] = new PendingFile(stamp);
                continue;
            }
            _pending.Remove(name);
            if (slot is null)
            {
                if (TryLoad(name, dll, 1, replacing: null, problems) is { } entry)
                {
                    _slots[name] = new Slot(entry);
                    added.Add(entry.Plugin);
                }
            }
            else if (TryLoad(name, dll, slot.Active.Plugin.Generation + 1, replacing: name, problems) is { } entry)
            {
                // Keep the version that served before as the fallback; if one is already kept, the in-between version goes.
                if (slot.Fallback is null) slot.Fallback = slot.Active;
                else Retire(slot.Active);
                slot.Active = entry;
                swapped.Add(entry.Plugin);
            }
            else
            {
                // Do not retry the same broken file on every poll; a new build changes the stamp.
                slot.Active = slot.Active with { Stamp = stamp };
            }
        }

        var removed = _slots.Keys.Where(n => !seen.Contains(n)).ToList();
        foreach (var name in removed)
        {
            var slot = _slots[name];
            _slots.Remove(name);
            Retire(slot.Active);
            if (slot.Fallback is not null) Retire(slot.Fallback);
        }

        var refresh = new PluginRefresh(swapped, added, removed, problems);
        if (refresh.CatalogChanged) _catalog = Compose([]);
        if (problems.Count > 0 || refresh.CatalogChanged) Problems = problems;
        return refresh;
    }

    /// <summary>The swapped-in versions built their components: unload the versions they replaced.</summary>
    public void ConfirmSwaps()
    {
        foreach (var slot in _slots.Values.Where(s => s.Fallback is not null))
        {
            Retire(slot.Fallback!);
            slot.Fallback = null;
        }
    }

    /// <summary>The swapped-in versions failed: unload them and serve the versions they replaced again.</summary>
    public IReadOnlyList<LoadedPlugin> RevertSwaps()
    {
        var restored = new List<LoadedPlugin>();
        foreach (var slot in _slots.Values.Where(s => s.Fallback is not null))
        {
            Retire(slot.Active);
            // Keep the failed file's stamp so the broken build is not loaded again until it is rebuilt.
            slot.Active = slot.Fallback! with { Stamp = slot.Active.Stamp };
            slot.Fallback = null;
            restored.Add(slot.Active.Plugin);
        }
        if (restored.Count > 0) _catalog = Compose([]);
        return restored;
    }

    /// <summary>How many retired load contexts are still alive after a full collection.</summary>
    public int CountLiveRetiredContexts()
    {
        for (int i = 0; i < 10 && _retired.Any(r => r.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return _retired.Count(r => r.IsAlive);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var slot in _slots.Values)
        {
            slot.Active.Context.Dispose();
            slot.Fallback?.Context.Dispose();
        }
        _slots.Clear();
    }

    private IEnumerable<(string Name, string Dll)> Discover(List<PluginProblem>? problems)
    {
        foreach (var folder in Folders)
        {
            if (!Directory.Exists(folder))
            {
                problems?.Add(new PluginProblem(folder, $"plugin folder {folder} does not exist."));
                continue;
            }
            int found = 0;
            foreach (var pluginDir in Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal))
            {
                string name = Path.GetFileName(pluginDir);
                string dll = Path.Combine(pluginDir, name + ".dll");
                if (!File.Exists(dll))
                {
                    problems?.Add(new PluginProblem(pluginDir, $"{pluginDir} has no {name}.dll: a plugin folder is named after its assembly (<Name>/<Name>.dll)."));
                    continue;
                }
                found++;
                yield return (name, dll);
            }
            if (found == 0)
                problems?.Add(new PluginProblem(folder, $"no plugins in {folder} (expected <Name>/<Name>.dll folders)."));
        }
    }

    private Entry? TryLoad(string name, string dll, int generation, string? replacing, List<PluginProblem> problems)
    {
        var stamp = FileStamp.Of(dll);
        IPluginLoadContext? context = null;
        try
        {
            byte[] bytes = File.ReadAllBytes(dll);
            var facts = PluginInspector.Inspect(dll, bytes);
            context = _contexts.Load(dll);
            var components = ComponentCatalog.Scan(context.Assembly, dll);
            if (components.Count == 0)
                throw new PluginLoadException($"{dll} declares no components: mark factory classes with [Component(kind, \"name\")].");
            CheckClashes(components, replacing);
            var plugin = new LoadedPlugin(name, dll, ComponentCatalog.AssemblyVersionOf(context.Assembly),
                                          facts.AbstractionsReference.ToString(3), Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(),
                                          components, generation);
            return new Entry(plugin, context, stamp);
        }
        catch (Exception e)
        {
            context?.Dispose();
            string keeping = replacing is not null ? " The previous version keeps serving." : "";
            string message = e switch
            {
                PluginLoadException or ComponentResolutionException => e.Message,
                _ => $"{dll} failed to load: {e.GetType().Name}: {e.Message}",
            };
            problems.Add(new PluginProblem(dll, message + keeping));
            return null;
        }
    }

    private void CheckClashes(IReadOnlyList<ComponentRegistration> components, string? replacing)
    {
        var others = _builtIns.Concat(_slots.Where(s => s.Key != replacing).SelectMany(s => s.Value.Active.Plugin.Components));
        foreach (var component in components)
        {
            var clash = others.FirstOrDefault(o => o.Kind == component.Kind && o.Name == component.Name);
            if (clash is not null)
                throw new PluginLoadException(
                    $"two {component.Kind} components are named '{component.Name}': one from {clash.Source}, one from {component.Source}. " +
                    $"The second plugin is not loaded; rename its component or remove one of the plugins.");
        }
    }

    private ComponentCatalog Compose(IEnumerable<ComponentRegistration> extra)
    {
        var catalog = new ComponentCatalog();
        foreach (var registration in _builtIns.Concat(_slots.Values.SelectMany(s => s.Active.Plugin.Components)).Concat(extra))
            catalog.Register(registration);
        return catalog;
    }

    private void Retire(Entry entry)
    {
        _retired.Add(entry.Context.ContextReference);
        entry.Context.Dispose();
    }

    private sealed record Entry(LoadedPlugin Plugin, IPluginLoadContext Context, FileStamp Stamp);

    private sealed class Slot(Entry active)
    {
        public Entry Active { get; set; } = active;
        public Entry? Fallback { get; set; }
    }

    private sealed record PendingFile(FileStamp Stamp);

    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : default;
        }
    }
}
