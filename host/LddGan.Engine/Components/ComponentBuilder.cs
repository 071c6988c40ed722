using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>
/// Builds components named in a recipe through the catalog, with a clear error when the type is wrong. A factory gets
/// narrow loaders in its context (<see cref="ComponentContext.Autoencoders"/>), never the host itself: the loader is
/// handed in by whoever builds a model (null: the components built here need none).
/// </summary>
public sealed class ComponentBuilder(ComponentCatalog catalog, ITrainedAutoencoderLoader? autoencoders = null)
{

    public T Build<T>(ComponentSpec spec, ComponentContext context) where T : class
    {
        var registration = catalog.Resolve(spec.Kind, spec.Type);
        object built;
        try { built = registration.Factory.Create(spec.Options, context with { Autoencoders = autoencoders ?? context.Autoencoders }); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FileNotFoundException)
        {
            throw new ComponentResolutionException(
                $"{spec.Kind} '{spec.Type}' (from {registration.Source}) could not be built for data {context.DataShape} " +
                $"→ latent {context.LatentShape}: {e.Message}");
        }
        return built as T ?? throw new ComponentResolutionException(
            $"{spec.Kind} '{spec.Type}' (from {registration.Source}) built a {built.GetType().Name}, which is not a {typeof(T).Name}.");
    }
}
