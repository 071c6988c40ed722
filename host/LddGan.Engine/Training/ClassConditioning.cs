using LddGan.Abstractions;

namespace LddGan.Engine.Training;

/// <summary>The checks a class-conditional training run makes before its first step, each naming the key to change.</summary>
internal static class ClassConditioning
{
    /// <summary>A network with <c>num_classes</c> &gt; 0 needs a labelled dataset with exactly that many classes (and a discriminator that agrees).</summary>
    public static void Check(IDataset dataset, Denoiser network, Discriminator? discriminator = null)
    {
        int classes = network.NumClasses;
        if (discriminator is not null && discriminator.NumClasses != classes)
            throw new InvalidOperationException(classes > 0
                ? $"the generator is class-conditional ({classes} classes) but the discriminator has num_classes = {discriminator.NumClasses}: " +
                  $"set num_classes = {classes} in [discriminator] (a projection discriminator), or remove num_classes from [generator]."
                : $"the discriminator is class-conditional (num_classes = {discriminator.NumClasses}) but the generator is not: set num_classes in [generator] too, or remove it from [discriminator].");
        if (classes == 0) return;
        if (dataset is not ILabeledDataset labeled)
            throw new InvalidOperationException(
                $"[generator] num_classes = {classes} trains a class-conditional model, but the dataset \"{dataset.Name}\" has no labels: " +
                "use a labelled dataset (fashion-mnist, cifar10, or image-folder with labels = \"subfolders\"), or set num_classes = 0.");
        if (labeled.ClassNames.Count != classes)
            throw new InvalidOperationException(
                $"[generator] num_classes = {classes}, but the dataset \"{dataset.Name}\" has {labeled.ClassNames.Count} classes " +
                $"({string.Join(", ", labeled.ClassNames.Take(12))}{(labeled.ClassNames.Count > 12 ? ", …" : "")}): set num_classes = {labeled.ClassNames.Count}.");
    }
}
