using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Losses;

/// <summary>No perceptual term: the autoencoder is trained with L1 (and the adversarial and codebook terms) only.</summary>
public sealed class NoPerceptualLoss() : PerceptualLoss(nameof(NoPerceptualLoss))
{
    public override Tensor forward(Tensor x, Tensor y) => zeros([x.shape[0]], dtype: x.dtype, device: x.device);
}

public sealed record NoPerceptualLossOptions;

[Component(ComponentKind.PerceptualLoss, "none", Description = "No perceptual term (L1 only).")]
public sealed class NoPerceptualLossFactory : ComponentFactory<NoPerceptualLossOptions, NoPerceptualLoss>
{
    public override NoPerceptualLoss Create(NoPerceptualLossOptions options, ComponentContext context) => new();
}
