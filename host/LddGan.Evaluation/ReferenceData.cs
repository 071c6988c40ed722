using LddGan.Abstractions;
using LddGan.Engine.Data;
using LddGan.Engine.Recipes;
using LddGan.Engine.Components;

namespace LddGan.Evaluation;

/// <summary>
/// The real images an evaluation compares against: the checkpoint recipe's dataset, with the chosen split, unflipped and
/// unlimited, and its content hash for the cache key. Only Fashion-MNIST so far (the feature network is trained on it).
/// </summary>
public static class ReferenceData
{
    public static (IDataset Dataset, string DataHash, int ImageSize) Open(ComponentSpec data, string split)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Options is not FashionMnistOptions options)
            throw new EvaluationException(
                $"evaluation compares against Fashion-MNIST (the dataset its feature network knows); this checkpoint's recipe has [data] type = \"{data.Type}\".");
        var reference = options with { Split = split, RandomFlip = false, Limit = 0 };
        string images = FashionMnistDataset.ImagesFile(reference.Path, split);   // throws DatasetNotFoundException with the install command
        return (new FashionMnistDataset(reference), ReferenceKey.HashFile(images), reference.ImageSize);
    }
}
