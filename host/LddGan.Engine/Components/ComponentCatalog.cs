using System.Reflection;
using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>Thrown when a recipe names a component that no loaded assembly provides, or two provide.</summary>
public sealed class ComponentResolutionException(string message) : Exception(message);

/// <summary>
/// The factories the host can build components from, by kind and name. Built-in components come from the engine;
/// plugins add theirs. A name clash is an error that names both sources.
/// </summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<(ComponentKind, string), ComponentRegistration> _registrations = new();

    public IReadOnlyCollection<ComponentRegistration> Registrations => _registrations.Values;

    /// <summary>A catalog with the engine's built-in components (datasets, pixel space, diffusion process, loss schedules).</summary>
    public static ComponentCatalog WithBuiltIns()
    {
        var catalog = new ComponentCatalog();
        catalog.RegisterAssembly(typeof(ComponentCatalog).Assembly, "built-in");
        return catalog;
    }

    /// <summary>Registers every non-abstract <see cref="IComponentFactory"/> in <paramref name="assembly"/> marked with <see cref="ComponentAttribute"/>.</summary>
    public IReadOnlyList<ComponentRegistration> RegisterAssembly(Assembly assembly, string source)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }

        var found = new List<ComponentRegistration>();
        foreach (var type in types)
        {
            var attribute = type.GetCustomAttribute<ComponentAttribute>();
            if (attribute is null || type.IsAbstract || !typeof(IComponentFactory).IsAssignableFrom(type)) continue;
            var factory = (IComponentFactory)(Activator.CreateInstance(type)
                ?? throw new ComponentResolutionException($"{source}: cannot construct factory {type.FullName}"));
            var registration = new ComponentRegistration(attribute.Kind, attribute.Name, attribute.Description, factory, source);
            Register(registration);
            found.Add(registration);
        }
        return found;
    }

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
