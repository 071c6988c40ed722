using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Models;

/// <summary>
/// A lower bound on the memory a recipe's networks take, found before any real allocation: the generator and the
/// discriminator are built on the meta device (shapes, no storage) and their parameters counted. A recipe whose
/// weights (plus, for training, gradients, Adam's two moments and the EMA copy) alone exceed the memory available is
/// refused with the sizes named, instead of being met by an allocation failure or the kernel's out-of-memory killer.
/// Activations grow with batch_size and image size and are not counted, so a recipe that passes may still not fit.
/// </summary>
public static class ModelMemoryEstimate
{
    /// <summary>Parameter bytes of the generator and the discriminator, or null when a component cannot be built on meta.</summary>
    public static (long Generator, long Discriminator)? ParameterBytes(ComponentBuilder builder, Recipe recipe, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(context);
        // libtorch's default device is process-wide: restored before returning, and nothing else builds tensors while a
        // session is being set up. Initialising meta parameters still draws from the CPU generator, whose state is put
        // back so the real networks start from the same weights as without the estimate.
        var before = get_default_device();
        using var rngState = random.get_rng_state();
        try
        {
            set_default_device(META);
            var meta = context with { Device = META };
            using var generator = builder.Build<Denoiser>(recipe.Generator, meta);
            if (recipe.Discriminator is null) return (Bytes(generator), 0L);
            using var discriminator = builder.Build<Discriminator>(recipe.Discriminator, meta);
            return (Bytes(generator), Bytes(discriminator));
        }
        // Best effort: a component that reads its weights while it is built (a pretrained network) has no meta form.
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
        finally
        {
            set_default_device(before);
            random.set_rng_state(rngState);
        }
    }

    /// <summary>Refuses, on the CPU, a recipe whose networks cannot fit in the memory available now.</summary>
    public static void CheckFits(ComponentBuilder builder, Recipe recipe, ComponentContext context, bool withEma, bool forTraining)
    {
        ArgumentNullException.ThrowIfNull(context);
        // GPU memory is reported by the CUDA allocator's own out-of-memory error, which names the sizes.
        if (context.Device.type != DeviceType.CPU) return;
        if (ParameterBytes(builder, recipe, context) is not var (generator, discriminator)) return;
        // Weights; in training also gradients and Adam's first and second moments (the papers' optimiser), and the EMA.
        long copies = forTraining ? 4 : 1;
        long needed = generator * (copies + (withEma ? 1 : 0)) + discriminator * copies;
        long available = MachineMemory.AvailableBytes();
        if (needed <= available) return;
        string what = forTraining ? "weights, gradients, Adam state" + (withEma ? " and EMA copy" : "") : "weights";
        throw new RunSetupException(
            $"the recipe's networks need at least {MachineMemory.Format(needed)} for their {what} " +
            $"(generator {MachineMemory.Format(generator)} of parameters from [generator], discriminator " +
            $"{MachineMemory.Format(discriminator)} from [discriminator]), more than the {MachineMemory.Format(available)} " +
            "this machine has available; nothing was allocated. Lower the widths in the recipe ([generator] nf or ch_mult, " +
            "[discriminator] ngf or ch), or use a machine with more memory.");
    }

    private static long Bytes(nn.Module module) => module.parameters().Sum(p => p.numel() * p.element_size());
}
