using System.Reflection;
using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>Thrown when a recipe names a component that no loaded assembly provides, or two provide.</summary>
public sealed class ComponentResolutionException(string message) : Exception(message);

/// <summary>
/// The factories the host can build components from, by kind and name. Built-in components come from the engine and
/// the host assemblies its composition root names (Evaluation's perceptual losses);
/// plugins add theirs. A name clash is an error that names both sources.
/// </summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<(ComponentKind, string), ComponentRegistration> _registrations = new();

    public IReadOnlyCollection<ComponentRegistration> Registrations => _registrations.Values;

    /// <summary>A copy that can take more registrations (e.g. a script's own components) without changing this one.</summary>
    public ComponentCatalog Copy()
    {
        var copy = new ComponentCatalog();
        foreach (var registration in _registrations.Values) copy.Register(registration);
        return copy;
    }

    /// <summary>A catalog with the engine's built-in components (datasets, pixel space, diffusion process, loss schedules).</summary>
    public static ComponentCatalog WithBuiltIns(params IEnumerable<Assembly> more)
    {
        var catalog = new ComponentCatalog();
        foreach (var assembly in BuiltInAssemblies(more)) catalog.RegisterAssembly(assembly, "built-in");
        return catalog;
    }

    /// <summary>The engine's assembly, then <paramref name="more"/> host assemblies that declare components (each once).</summary>
    public static IReadOnlyList<Assembly> BuiltInAssemblies(IEnumerable<Assembly>? more) =>
        new[] { typeof(ComponentCatalog).Assembly }.Concat(more ?? []).Distinct().ToList();

    /// <summary>Registers every non-abstract <see cref="IComponentFactory"/> in <paramref name="assembly"/> marked with <see cref="ComponentAttribute"/>.</summary>
    public IReadOnlyList<ComponentRegistration> RegisterAssembly(Assembly assembly, string source)
    {
        var found = Scan(assembly, source);
        foreach (var registration in found) Register(registration);
        return found;
    }

    /// <summary>
    /// The components an assembly declares, each with its factory constructed, without registering them. A component's
    /// version is its attribute's, else the assembly's informational version.
    /// </summary>
    public static IReadOnlyList<ComponentRegistration> Scan(Assembly assembly, string source)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            throw new ComponentResolutionException(
                $"{source}: some types could not be loaded ({e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message}). " +
                "Is the plugin built against this host's LddGan.Abstractions and TorchSharp?");
        }

        string assemblyVersion = AssemblyVersionOf(assembly);
        var found = new List<ComponentRegistration>();
        foreach (var type in types.OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var attribute = type.GetCustomAttribute<ComponentAttribute>();
            if (attribute is null || type.IsAbstract || !typeof(IComponentFactory).IsAssignableFrom(type)) continue;
            IComponentFactory factory;
            try
            {
                factory = (IComponentFactory)(Activator.CreateInstance(type)
                    ?? throw new InvalidOperationException("Activator returned null"));
            }
            catch (Exception e)
            {
                var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                throw new ComponentResolutionException(
                    $"{source}: the factory {type.FullName} of component '{attribute.Name}' could not be constructed: " +
                    $"{cause.GetType().Name}: {cause.Message}");
            }
            string version = string.IsNullOrWhiteSpace(attribute.Version) ? assemblyVersion : attribute.Version;
            found.Add(new ComponentRegistration(attribute.Kind, attribute.Name, attribute.Description, factory, source, version));
        }
        return found;
    }

    /// <summary>The informational version of an assembly without the source-revision suffix, else its version.</summary>
    public static string AssemblyVersionOf(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrWhiteSpace(informational)) return informational.Split('+')[0];
        return assembly.GetName().Version?.ToString() ?? "?";
    }

    /// <summary>Whether registering <paramref name="registration"/> would clash, and with what.</summary>
    public bool TryFindClash(ComponentRegistration registration, out ComponentRegistration existing) =>
        _registrations.TryGetValue((registration.Kind, registration.Name), out existing!);

    public void Register(ComponentRegistration registration)
    {
        var key = (registration.Kind, registration.Name);
        if (_registrations.TryGetValue(key, out var existing))
            throw new ComponentResolutionException(
                $"Two components are named '{registration.Name}' ({registration.Kind}): one from {existing.Source}, " +
                $"one from {registration.Source}. Remove one of the plugins or rename its component.");
        _registrations[key] = registration;
    }

    public bool TryResolve(ComponentKind kind, string name, out ComponentRegistration registration) =>
        _registrations.TryGetValue((kind, name), out registration!);

    public ComponentRegistration Resolve(ComponentKind kind, string name)
    {
        if (TryResolve(kind, name, out var registration)) return registration;
        var names = NamesOf(kind);
        throw new ComponentResolutionException(
            $"Unknown {kind} component '{name}'.{NameSuggestions.DidYouMean(name, names)} " +
            (names.Count == 0 ? "None is loaded: are the plugins installed next to the host (plugins/)?"
                              : $"Available: {string.Join(", ", names)}."));
    }

    public IReadOnlyList<string> NamesOf(ComponentKind kind) =>
        _registrations.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).OrderBy(n => n, StringComparer.Ordinal).ToList();
}
