// The spread of an autoencoder's latents, and the scale_factor that gives them a chosen spread. LDDGAN divides latents
// by [latent] scale_factor before diffusing them; the VP schedule adds the same noise whatever the space, so latents far
// smaller than the data the schedule was made for are drowned after the first step (docs/quality-experiments.md: with
// the reference's max-|latent| rule the shipped Fashion-MNIST autoencoder's latents have std 0.065, and D learns nothing).
// Encodes the first --n training images of the autoencoder's own dataset and prints the latents' mean, std and max |z|,
// the pixels' std, and scale factors for: the pixels' spread (what the working recipes use), unit variance (LDM's rule),
// and max |z| (the LDDGAN reference's rule).
//   lddgan run recipes/latent-scale.csx -- --autoencoder=recipes/pretrained/lddgan-fashion-mnist-autoencoder.ckpt --n=2000
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Evaluation;
using static TorchSharp.torch;

string path = CheckpointFile.ResolvePath(Argument("autoencoder", "recipes/pretrained/lddgan-fashion-mnist-autoencoder.ckpt"));
int n = Argument("n", 2000);
AutoencoderRecipe recipe;
LddGan.Abstractions.SampleShape shape;
using (var reader = CheckpointFile.Open(path))
{
    recipe = new AutoencoderRecipeLoader(Catalog).Parse(reader.RecipeToml, path);
    shape = reader.Meta.DataShape;
}
var trained = new TrainedAutoencoderLoader(Catalog).Load(path, shape);
var autoencoder = trained.Autoencoder;
autoencoder.eval();
var data = ReferenceDataset.Open(ReferenceSource.Resolve(null, recipe.Data, shape, Catalog), "train", shape, Catalog, CPU);
long count = Math.Min(n, data.Dataset.Count);

// Sums in float64 over all elements: mean and std of every latent (and pixel) value, as one distribution.
double zSum = 0, zSquares = 0, zMax = 0, xSum = 0, xSquares = 0;
long zCount = 0, xCount = 0;
for (long start = 0; start < count; start += 100)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var x = data.Dataset.GetBatch(Enumerable.Range(0, (int)Math.Min(100, count - start)).Select(i => start + i).ToArray());
    var z = autoencoder.Encode(x).to_type(ScalarType.Float64);
    var x64 = x.to_type(ScalarType.Float64);
    zSum += z.sum().item<double>(); zSquares += z.square().sum().item<double>(); zCount += z.numel();
    zMax = Math.Max(zMax, z.abs().max().item<double>());
    xSum += x64.sum().item<double>(); xSquares += x64.square().sum().item<double>(); xCount += x64.numel();
}
double zMean = zSum / zCount, zStd = Math.Sqrt(zSquares / zCount - zMean * zMean);
double xMean = xSum / xCount, xStd = Math.Sqrt(xSquares / xCount - xMean * xMean);
Log($"{path}: {count:N0} training images of {data.Dataset.Name}, latents {autoencoder.LatentShape(shape)}");
Log($"latents: mean {zMean:F4}, std {zStd:F4}, max |z| {zMax:F4}; pixels: mean {xMean:F4}, std {xStd:F4}");
if (trained.LatentMaxAbs is { } stored) Log($"stored in the checkpoint (scale_factor = 0): max |z| {stored:F4}, which leaves the latents std {zStd / stored:F4}");
Log($"scale_factor = {zStd / xStd:F4}: the latents get the pixels' std {xStd:F3} (the working Fashion-MNIST recipes)");
Log($"scale_factor = {zStd:F4}: unit variance (LDM's rule)");
Log($"scale_factor = {zMax:F4}: max |z| = 1 (the LDDGAN reference's rule)");
data.Dispose();
autoencoder.Dispose();
