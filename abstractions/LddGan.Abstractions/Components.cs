using TorchSharp;

namespace LddGan.Abstractions;

/// <summary>The roles a component can play in a run.</summary>
public enum ComponentKind
{
    Dataset,
    LatentSpace,
    Denoiser,
    Discriminator,
    LossSchedule,
    DiffusionProcess,
    /// <summary>A first-stage autoencoder (<see cref="Abstractions.Autoencoder"/>), since abstractions 1.1.</summary>
    Autoencoder,
    /// <summary>An image discriminator for autoencoder training (<see cref="Abstractions.ImageDiscriminator"/>), since 1.1.</summary>
    ImageDiscriminator,
    /// <summary>A perceptual distance (<see cref="Abstractions.PerceptualLoss"/>), since 1.1.</summary>
    PerceptualLoss,
}

/// <summary>
/// Marks a <see cref="IComponentFactory"/> implementation so the host can find it by <paramref name="name"/>.
/// Names are unique per kind across all loaded plugins (e.g. <c>ncsnpp</c>, <c>ddgan-small</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ComponentAttribute(ComponentKind kind, string name) : Attribute
{
    public ComponentKind Kind { get; } = kind;
    public string Name { get; } = name;
    /// <summary>One line shown by <c>lddgan plugins</c>.</summary>
    public string Description { get; init; } = "";

    /// <summary>
    /// The component's own version (semantic versioning), recorded in every run that uses it. Empty: the version of
    /// the assembly that declares it.
    /// </summary>
    public string Version { get; init; } = "";
}

/// <summary>What a factory knows about the run it builds a component for.</summary>
/// <param name="DataShape">Shape of one data sample as the dataset yields it.</param>
/// <param name="LatentShape">Shape of one sample in the space where diffusion runs (after the latent space's encoder).</param>
/// <param name="NumTimesteps">Number of diffusion steps T.</param>
/// <param name="Device">Where the component's tensors should live.</param>
public sealed record ComponentContext(SampleShape DataShape, SampleShape LatentShape, int NumTimesteps, torch.Device Device)
{
    /// <summary>Reads trained autoencoders, for a latent space that wraps one (since abstractions 1.2). Null when the host offers none.</summary>
    public ITrainedAutoencoderLoader? Autoencoders { get; init; }

    /// <summary>Abstractions 1.1 handed factories the host as a service provider; 1.2 hands them narrow loaders instead.</summary>
    [Obsolete("Always null since abstractions 1.2: components do not locate host services; use Autoencoders.")]
    public IServiceProvider? Services { get; init; }
}

/// <summary>
/// Options that can check themselves. Each error names the option's recipe key (snake_case) and what is allowed.
/// </summary>
public interface IValidatableOptions
{
    IEnumerable<string> Validate();
}

/// <summary>Builds one kind of component from its options record. Options records round-trip to TOML.</summary>
public interface IComponentFactory
{
    Type OptionsType { get; }
    Type ComponentType { get; }
    object CreateDefaultOptions();
    object Create(object options, ComponentContext context);
}

/// <summary>Typed base for factories: one options record in, one component out.</summary>
public abstract class ComponentFactory<TOptions, TComponent> : IComponentFactory
    where TOptions : class, new()
    where TComponent : class
{
    public Type OptionsType => typeof(TOptions);
    public Type ComponentType => typeof(TComponent);
    public object CreateDefaultOptions() => new TOptions();

    public abstract TComponent Create(TOptions options, ComponentContext context);

    object IComponentFactory.Create(object options, ComponentContext context) =>
        Create(options as TOptions ?? throw new ArgumentException(
            $"expected options of type {typeof(TOptions).Name}, got {options.GetType().Name}", nameof(options)), context);
}
