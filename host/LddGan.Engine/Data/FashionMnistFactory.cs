using LddGan.Abstractions;

namespace LddGan.Engine.Data;

[Component(ComponentKind.Dataset, "fashion-mnist",
    Description = "Fashion-MNIST 28x28 grayscale (IDX files, Debian package dataset-fashion-mnist), padded to 32 by default.")]
public sealed class FashionMnistFactory : ComponentFactory<FashionMnistOptions, FashionMnistDataset>
{
    public override FashionMnistDataset Create(FashionMnistOptions options, ComponentContext context) => new(options);
}
