// What separates a model's samples from the data in the FID-FMNIST feature space, and what an FID value means there.
// For each checkpoint, n samples (seed 0) against the first n Fashion-MNIST test images:
//   - FID-FMNIST, precision and recall (k = 3), as `lddgan eval` computes them;
//   - the classes the feature network's own classifier gives the samples (a model that drops classes shows it here), the
//     largest share of one class, and the classifier's mean confidence;
//   - pixel statistics: mean, std, the share of background pixels (< -0.9) and of mid-grey pixels (|x| < 0.5).
// Calibration rows: real images (the first n training images) under known damage (Gaussian noise, a 2x blur, lower
// contrast, background speckle) against the same test images, so that a model's FID reads as "as far from the data as
// real images with ...".
//   lddgan run recipes/sample-diagnostics.csx -- --n=10000 [--models=a.ckpt,b.ckpt] [--out=docs/sample-diagnostics.md]
using LddGan.Engine.Models;
using LddGan.Evaluation;
using static TorchSharp.torch;

int n = Argument("n", 10000);
string output = Argument("out", "");
var models = Argument("models", "recipes/pretrained/ddgan-fashion-mnist.ckpt,recipes/pretrained/wddgan-fashion-mnist.ckpt," +
                                "recipes/pretrained/lddgan-fashion-mnist.ckpt,recipes/pretrained/ddgan-fashion-mnist-t1.ckpt")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
string[] classNames = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

var net = new FeatureNet();   // disposed with the process (a script cannot declare "using var" at the top level)
net.load(FeatureExtractors.FindShipped(FeatureNetExtractor.DefaultWeights));
net.eval();

// Features and class probabilities of (B, 1, 32, 32) images in [-1, 1], in batches of 250.
(Tensor Features, Tensor Probabilities) Describe(Tensor images)
{
    using var noGrad = no_grad();
    var features = new List<Tensor>();
    var probabilities = new List<Tensor>();
    for (long start = 0; start < images.shape[0]; start += 250)
    {
        using var scope = NewDisposeScope();
        var x = images.narrow(0, start, Math.Min(250, images.shape[0] - start));
        var f = net.Features(x);
        features.Add(f.MoveToOuterDisposeScope());
        probabilities.Add(nn.functional.softmax(net.Logits(f), 1).MoveToOuterDisposeScope());
    }
    return (cat(features, 0), cat(probabilities, 0));
}

// The reference: the first n test images. The calibration rows damage the first n training images (other real images),
// so that they compare with `lddgan eval --n 10000` and the floor row of docs/results.md.
Tensor real, training;
{
    using var first = DiffusionModel.Load(models[0], Catalog);
    var source = ReferenceSource.Resolve(null, first.Recipe.Data, first.DataShape, Catalog);
    using (var test = ReferenceDataset.Open(source, "test", first.DataShape, Catalog, CPU))
        real = test.Dataset.GetBatch(Enumerable.Range(0, (int)Math.Min(n, test.Dataset.Count)).Select(i => (long)i).ToArray());
    using (var train = ReferenceDataset.Open(source, "train", first.DataShape, Catalog, CPU))
        training = train.Dataset.GetBatch(Enumerable.Range(0, (int)Math.Min(n, train.Dataset.Count)).Select(i => (long)i).ToArray());
}
var (realFeatures, _) = Describe(real);
var realStatistics = FeatureStatistics.FromFeatures(realFeatures);

string Row(string label, Tensor images)
{
    using var scope = NewDisposeScope();
    var (features, probabilities) = Describe(images);
    using var statistics = FeatureStatistics.FromFeatures(features);
    double fid = FrechetDistance.Compute(statistics, realStatistics);
    var pr = PrecisionRecall.Compute(realFeatures, features);
    var counts = probabilities.argmax(1).bincount(null, 10).to_type(ScalarType.Float64) / images.shape[0];
    var shares = counts.data<double>().ToArray();
    double confidence = probabilities.max(1).values.mean().item<float>();
    double background = (images < -0.9).to_type(ScalarType.Float32).mean().item<float>();
    double grey = (images.abs() < 0.5).to_type(ScalarType.Float32).mean().item<float>();
    double mean = images.mean().item<float>(), std = images.std().item<float>();
    int top = Array.IndexOf(shares, shares.Max());
    string classes = string.Join(" ", shares.Select(s => $"{100 * s:F0}"));
    Log($"{label}: FID-FMNIST {fid:F2}, P {pr.Precision:F3}, R {pr.Recall:F3}; classes % {classes}; confidence {confidence:F3}; " +
        $"mean {mean:F3}, std {std:F3}, background {background:F3}, grey {grey:F3}");
    return $"| {label} | {fid:F2} | {pr.Precision:F3} | {pr.Recall:F3} | {classes} | {classNames[top]} {100 * shares[top]:F0} % | {confidence:F3} | " +
           $"{mean:F3} | {std:F3} | {background:F3} | {grey:F3} |";
}

var rows = new List<string>();
rows.Add(Row("training images (the floor)", training));
using (var generator = new Generator(0))
{
    foreach (double sigma in new[] { 0.05, 0.1, 0.2 })
        rows.Add(Row($"training images + noise σ = {sigma}", (training + sigma * randn(training.shape, generator: generator)).clamp(-1, 1)));
    var speckle = (rand(training.shape, generator: generator) < 0.02).to_type(ScalarType.Float32);
    rows.Add(Row("training images, 2 % of the background at -0.5", (training + speckle * (training < -0.9).to_type(ScalarType.Float32) * 0.5).clamp(-1, 1)));
}
rows.Add(Row("training images blurred (2× average-pooled, bilinear up)", nn.functional.interpolate(nn.functional.avg_pool2d(training, 2), [32, 32], mode: InterpolationMode.Bilinear, align_corners: false)));
rows.Add(Row("training images at 70 % contrast", (training + 1) * 0.7 - 1));

foreach (var path in models)
{
    using var model = DiffusionModel.Load(path, Catalog);
    var clock = System.Diagnostics.Stopwatch.StartNew();
    using var samples = model.Sample(n, seed: 0);
    Log($"{path}: {n:N0} samples in {clock.Elapsed.TotalSeconds:F0} s");
    rows.Add(Row(Path.GetFileNameWithoutExtension(path), samples));
    rows.Add(Row(Path.GetFileNameWithoutExtension(path) + ", background snapped to -1", where(samples < -0.8, full_like(samples, -1.0), samples)));
}

var md = new System.Text.StringBuilder();
md.AppendLine("# What separates the samples from the data: classes, pixel statistics and an FID-FMNIST calibration");
md.AppendLine();
md.AppendLine($"Produced by `lddgan run recipes/sample-diagnostics.csx -- --n={n}` on {DateTime.UtcNow:yyyy-MM-dd}: each row against the first {n:N0} Fashion-MNIST test images. " +
              "A model's samples are drawn in batches of 100 (seed 0), `lddgan eval` draws batches of 250: other samples of the same model, so its numbers differ a little. " +
              "Classes: the feature network's own classifier (92 % right on the test images).");
md.AppendLine();
md.AppendLine("| images | FID-FMNIST | P | R | classes (% per class, " + string.Join(", ", classNames) + ") | largest class | confidence | mean | std | background (< -0.9) | grey (\\|x\\| < 0.5) |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var row in rows) md.AppendLine(row);
if (output.Length > 0) { File.WriteAllText(output, md.ToString()); Log($"wrote {output}"); }
else Console.WriteLine(md);
