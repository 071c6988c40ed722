using System.Reflection;
using System.Runtime.Loader;
using LddGan.Abstractions;
using McMaster.NETCore.Plugins;
using TorchSharp;

namespace LddGan.Engine.Plugins;

/// <summary>
/// Loads plugins with McMaster.NETCore.Plugins: collectible, read into memory (the DLL on disk can be replaced while
/// a run uses the loaded copy), with TorchSharp and the abstractions shared from the host. A plugin's own copy of
/// TorchSharp would load a second libtorch and abort the process; sharing makes the host's copy win.
/// </summary>
public sealed class McMasterPluginLoadContextFactory : IPluginLoadContextFactory
{
    public IPluginLoadContext Load(string assemblyPath)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(Path.GetFullPath(assemblyPath),
            sharedTypes: [typeof(IComponentFactory), typeof(torch)],
            configure: config =>
            {
                config.IsUnloadable = true;
                config.LoadInMemory = true;
            });
        try
        {
            return new Context(loader, loader.LoadDefaultAssembly());
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }

    private sealed class Context(PluginLoader loader, Assembly assembly) : IPluginLoadContext
    {
        public Assembly Assembly { get; } = assembly;

        public WeakReference ContextReference { get; } = new(AssemblyLoadContext.GetLoadContext(assembly));

        public void Dispose() => loader.Dispose();
    }
}
