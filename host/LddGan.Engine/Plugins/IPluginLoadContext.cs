using System.Reflection;

namespace LddGan.Engine.Plugins;

/// <summary>
/// One loaded version of a plugin assembly, in its own collectible load context. Our seam over the loading library
/// (McMaster.NETCore.Plugins today, which its maintainer calls maintenance-only), so it can be replaced.
/// </summary>
public interface IPluginLoadContext : IDisposable
{
    /// <summary>The plugin's main assembly.</summary>
    Assembly Assembly { get; }

    /// <summary>
    /// A weak reference to the load context, to check that it is collected once the context is disposed and nothing
    /// (modules, factories, types) refers to it any more.
    /// </summary>
    WeakReference ContextReference { get; }
}

/// <summary>Creates plugin load contexts. Types listed as shared come from the host (TorchSharp, the abstractions).</summary>
public interface IPluginLoadContextFactory
{
    IPluginLoadContext Load(string assemblyPath);
}
