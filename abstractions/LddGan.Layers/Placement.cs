using LddGan.Abstractions;
using TorchSharp;

namespace LddGan.Layers;

/// <summary>
/// Where factories put what they build (modules are built on the CPU, where the initialisers run, then moved to the
/// run's device), and the shape checks they share.
/// </summary>
public static class Placement
{
    public static T MoveTo<T>(T module, ComponentContext context) where T : torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Device.type != DeviceType.CPU) module.to(context.Device);
        return module;
    }

    /// <summary>The shape, when it is image-like (C, H, W); else an error naming <paramref name="component"/>.</summary>
    public static SampleShape RequireImage(SampleShape shape, string component) =>
        shape.IsVector
            ? throw new ArgumentException($"{component} needs image-like samples (C, H, W), got a vector of {shape.Channels}")
            : shape;

    /// <summary>The vector length, when samples are vectors (e.g. 2-D points); else an error naming <paramref name="component"/>.</summary>
    public static int RequireVector(SampleShape shape, string component) =>
        shape.IsVector
            ? shape.Channels
            : throw new ArgumentException($"{component} needs vector samples (e.g. 2-D points), got {shape}");
}
