using LddGan.Abstractions;
using TorchSharp;

namespace LddGan.Layers;

/// <summary>Where factories put what they build: modules are built on the CPU, where the initialisers run, then moved to the run's device.</summary>
public static class Placement
{
    public static T MoveTo<T>(T module, ComponentContext context) where T : torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Device.type != DeviceType.CPU) module.to(context.Device);
        return module;
    }
}
