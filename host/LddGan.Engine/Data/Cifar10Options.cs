using LddGan.Abstractions;

namespace LddGan.Engine.Data;

/// <summary>Options of the CIFAR-10 dataset (recipe table <c>[data]</c>, type <c>cifar10</c>).</summary>
public sealed record Cifar10Options : IValidatableOptions
{
    /// <summary>
    /// Folder of the official binary distribution (<c>cifar-10-binary.tar.gz</c> unpacked: <c>data_batch_1.bin</c> …
    /// <c>data_batch_5.bin</c>, <c>test_batch.bin</c>); its <c>cifar-10-batches-bin</c> subfolder is looked in too.
    /// </summary>
    public string Path { get; init; } = "data/cifar-10-batches-bin";

    /// <summary><c>train</c> (the five data batches, 50,000 images) or <c>test</c> (10,000).</summary>
    public string Split { get; init; } = "train";

    /// <summary>Flip each image horizontally with probability ½ (drawn from the augmentation generator), as the official training.</summary>
    public bool RandomFlip { get; init; } = true;

    /// <summary>Use only the first <c>limit</c> samples; 0 uses all.</summary>
    public int Limit { get; init; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return "path must name the folder with the CIFAR-10 binary batches (data_batch_1.bin …).";
        if (Split is not ("train" or "test")) yield return $"split must be \"train\" or \"test\", not \"{Split}\".";
        if (Limit < 0) yield return $"limit must be 0 (all samples) or a positive count, not {Limit}.";
    }
}

[Component(ComponentKind.Dataset, "cifar10",
    Description = "CIFAR-10 32x32 RGB with its 10 class labels, from the official binary batches (data_batch_*.bin, test_batch.bin).")]
public sealed class Cifar10Factory : ComponentFactory<Cifar10Options, Cifar10Dataset>
{
    public override Cifar10Dataset Create(Cifar10Options options, ComponentContext context) => new(options);
}
