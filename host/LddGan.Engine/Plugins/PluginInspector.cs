using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using LddGan.Abstractions;

namespace LddGan.Engine.Plugins;

/// <summary>A plugin that cannot be used, with the reason in words a user can act on.</summary>
public sealed class PluginLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a plugin assembly says about itself, read from its metadata without loading it.</summary>
public sealed record PluginAssemblyFacts(string Path, string Name, Version Version, Version AbstractionsReference);

/// <summary>
/// Checks a candidate plugin DLL before any of its code is loaded: that it is a .NET assembly, that it references
/// LddGan.Abstractions, and that it was built against the host's abstractions major version (the compatibility
/// contract: minor versions only add, so a plugin may not need a newer minor than the host has).
/// </summary>
public static class PluginInspector
{
    public const string AbstractionsAssemblyName = "LddGan.Abstractions";

    /// <summary>The abstractions version this host was built with.</summary>
    public static Version HostAbstractionsVersion { get; } =
        typeof(IComponentFactory).Assembly.GetName().Version ?? new Version(0, 0);

    public static PluginAssemblyFacts Inspect(string dllPath)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(dllPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"cannot read {dllPath}: {e.Message}", e);
        }
        return Inspect(dllPath, bytes);
    }

    public static PluginAssemblyFacts Inspect(string dllPath, byte[] bytes)
    {
        string name;
        Version version;
        Version? abstractions = null;
        try
        {
            using var pe = new PEReader(new MemoryStream(bytes, writable: false));
            if (!pe.HasMetadata)
                throw new PluginLoadException($"{dllPath} is not a .NET assembly (a native library?). Plugin folders hold one folder per plugin with <Name>/<Name>.dll built by `dotnet build`.");
            var reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
                throw new PluginLoadException($"{dllPath} is a .NET module, not an assembly; build the plugin as a class library.");
            var definition = reader.GetAssemblyDefinition();
            name = reader.GetString(definition.Name);
            version = definition.Version;
            foreach (var handle in reader.AssemblyReferences)
            {
                var reference = reader.GetAssemblyReference(handle);
                if (reader.GetString(reference.Name) == AbstractionsAssemblyName) abstractions = reference.Version;
            }
        }
        catch (BadImageFormatException e)
        {
            throw new PluginLoadException($"{dllPath} is not a valid .NET assembly ({e.Message}).", e);
        }

        if (abstractions is null)
            throw new PluginLoadException(
                $"{dllPath} does not reference {AbstractionsAssemblyName}, so it declares no LddGan components: not a plugin. " +
                "Move it out of the plugin folder, or reference the LddGan.Abstractions package and mark factories with [Component].");
        if (abstractions.Major != HostAbstractionsVersion.Major)
            throw new PluginLoadException(
                $"{dllPath} was built against {AbstractionsAssemblyName} {abstractions.ToString(3)}, but this host has " +
                $"{HostAbstractionsVersion.ToString(3)}; the major versions must match. Rebuild the plugin against " +
                $"{AbstractionsAssemblyName} {HostAbstractionsVersion.Major}.x, or use a host built for {abstractions.Major}.x.");
        if (abstractions.Minor > HostAbstractionsVersion.Minor)
            throw new PluginLoadException(
                $"{dllPath} was built against {AbstractionsAssemblyName} {abstractions.ToString(3)}, newer than this host's " +
                $"{HostAbstractionsVersion.ToString(3)}: it may use contracts the host lacks. Update the host, or rebuild the " +
                $"plugin against {AbstractionsAssemblyName} {HostAbstractionsVersion.ToString(2)}.");
        return new PluginAssemblyFacts(dllPath, name, version, abstractions);
    }
}
