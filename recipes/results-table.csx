// The results table of docs/results.md, in one command: the three shipped Fashion-MNIST models (recipes/pretrained/) are
// evaluated (FID-FMNIST, improved precision/recall with k = 3, against the test split, on the project's own feature
// network) and benchmarked (sampling time per 100 images: median after warm-up, all in this one process; NFE; parameters;
// FLOPs per sample; peak memory), and the table is written as Markdown. Two reference rows frame them: the floor (n real
// training images measured as samples) and LDDGAN's ceiling (the autoencoder's reconstructions of the test images); a
// one-step GAN (DDGAN at T = 1) is a row when its checkpoint exists (--one-step=PATH).
// It also draws each model's comparison grid (64 samples, seed 7, --images) and rewrites the README's copy of the table
// (between its "results-table" markers; --readme= leaves the README alone).
//   lddgan run recipes/results-table.csx -- --n=10000 --repeats=7 --out=docs/results.md
using LddGan.Evaluation.Benchmarks;
using LddGan.Evaluation;

int n = Argument("n", 10000);
int repeats = Argument("repeats", 7);
string output = Argument("out", "docs/results.md");
string oneStep = Argument("one-step", "recipes/pretrained/ddgan-fashion-mnist-t1.ckpt");
string images = Argument("images", "docs/images");
string readme = Argument("readme", "README.md");
string autoencoder = Argument("autoencoder", "recipes/pretrained/lddgan-fashion-mnist-autoencoder-light.ckpt");   // the one the shipped LDDGAN decodes with
var models = new List<(string, string)>
{
    ("DDGAN (pixels 1×32×32)", Argument("ddgan", "recipes/pretrained/ddgan-fashion-mnist.ckpt")),
    ("WDDGAN (Haar bands 4×16×16, wavelet generator)", Argument("wddgan", "recipes/pretrained/wddgan-fashion-mnist.ckpt")),
    ("LDDGAN (VQ latents 2×16×16)", Argument("lddgan", "recipes/pretrained/lddgan-fashion-mnist.ckpt")),
};
if (File.Exists(oneStep) || Directory.Exists(oneStep)) models.Add(("one-step GAN (DDGAN, T = 1)", oneStep));
else Log($"one-step GAN: {oneStep} not found, no row (train recipes/ddgan-fashion-mnist-t1.toml: DDGAN-4's 30,000 steps, then lddgan export)");

// Peak memory: each model sampled alone in a fresh `lddgan bench` process, so no model (or the evaluation) inflates another's peak.
long? PeakInOwnProcess(string path)
{
    string json = Path.Combine(Path.GetTempPath(), $"results-bench-{Guid.NewGuid():N}.json");
    var start = new System.Diagnostics.ProcessStartInfo { FileName = Environment.ProcessPath!, UseShellExecute = false, RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
    foreach (var arg in new[] { "bench", path, "--repeats", "2", "--warmup", "1", "--json", json }) start.ArgumentList.Add(arg);
    using var child = System.Diagnostics.Process.Start(start)!;
    child.StandardOutput.ReadToEnd();
    child.WaitForExit();
    if (child.ExitCode != 0) throw new InvalidOperationException($"lddgan bench {path} failed with exit code {child.ExitCode}");
    var result = SamplingBenchmark.FromJson(File.ReadAllText(json)).Single();
    File.Delete(json);
    return result.PeakRssBytes;
}
var peaks = models.ToDictionary(m => m.Item1, m => PeakInOwnProcess(m.Item2));

// Sampling time, FLOPs, parameters: all models side by side in this one process (timed in rounds), before any evaluation.
var timed = SamplingBenchmark.RunSideBySide(models.Select(m => m.Item2).ToList(), Catalog, new BenchmarkOptions { Repeats = repeats }, Log);
var benches = models.Zip(timed).ToDictionary(p => p.First.Item1, p => p.Second);

// The frame: what a perfect model scores at this n, and the best a model in the autoencoder's latent space can score.
var floor = new EvaluationRunner(Catalog).RunRealData("recipes/ddgan-fashion-mnist-weighted.toml", new EvaluationOptions { Count = n });
Log($"real data: FID-FMNIST {floor.Fid:F2}, precision {floor.Precision:F3}, recall {floor.Recall:F3}");
var ceiling = new EvaluationRunner(Catalog).RunReconstructions(autoencoder, new EvaluationOptions { Count = n });
Log($"autoencoder reconstructions: FID-FMNIST {ceiling.Fid:F2}, precision {ceiling.Precision:F3}, recall {ceiling.Recall:F3}, L1 {ceiling.ReconstructionL1:F4}, PSNR {ceiling.ReconstructionPsnr:F2} dB");

var rows = new List<(string Label, string Path, EvaluationReport Eval, BenchmarkResult Bench)>();
foreach (var (label, path) in models)
{
    Log($"{label}: {benches[label].SecondsPer100Images:F3} s per 100 images; evaluating {n:N0} samples from {path}");
    var eval = new EvaluationRunner(Catalog).Run(path, new EvaluationOptions { Count = n });
    Log($"{label}: FID-FMNIST {eval.Fid:F2}, precision {eval.Precision:F3}, recall {eval.Recall:F3} ({eval.TotalSeconds:F0} s)");
    rows.Add((label, path, eval, benches[label] with { PeakRssBytes = peaks[label] }));
}

// Recorded in checkpoints (and kept by `lddgan export`) from the training-time budget on; older ones: the README says.
string Hours(EvaluationReport e) => e.TrainingSeconds > 0 ? $"{e.TrainingSeconds / 3600:F2} h" : "see recipes/pretrained/README.md";
string Mb(long? bytes) => bytes is long b ? $"{b / 1024.0 / 1024.0:F0} MB" : "n/a";
var md = new System.Text.StringBuilder();
md.AppendLine("# Results: the three shipped Fashion-MNIST models");
md.AppendLine();
md.AppendLine($"Produced by `lddgan run recipes/results-table.csx -- --n={n} --repeats={repeats} --out={output}` on " +
              $"{DateTime.UtcNow:yyyy-MM-dd} ({Environment.ProcessorCount} CPU cores, {rows[0].Bench.Threads} Torch threads, device {rows[0].Bench.Device}).");
md.AppendLine();
md.AppendLine("| model | checkpoint | training steps | training time | FID-FMNIST ↓ | precision ↑ | recall ↑ | NFE | time / 100 images | time ÷ DDGAN's | generator params | decoder params | total params | GFLOPs / sample | of which decoding | peak RSS |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
md.AppendLine($"| real data (floor) | {n:N0} Fashion-MNIST training images | — | — | {floor.Fid:F2} | {floor.Precision:F3} | {floor.Recall:F3} | — | — | — | — | — | — | — | — | — |");
md.AppendLine($"| autoencoder reconstructions (LDDGAN's ceiling) | `{autoencoder}` | {ceiling.GlobalStep:N0} | {Hours(ceiling)} | {ceiling.Fid:F2} | {ceiling.Precision:F3} | {ceiling.Recall:F3} | — | — | — | — | — | — | — | — | — |");
foreach (var (label, path, e, b) in rows)
    md.AppendLine($"| {label} | `{path}` | {e.GlobalStep:N0} | {Hours(e)} | {e.Fid:F2} | {e.Precision:F3} | {e.Recall:F3} | {e.Nfe} | {b.SecondsPer100Images:F3} s | {BenchmarkRatios.Of(b, rows[0].Bench).Time:F3} | " +
                  $"{b.GeneratorParameters:N0} | {(b.DecoderParameters > 0 ? b.DecoderParameters.ToString("N0") : "—")} | {b.TotalParameters:N0} | " +
                  $"{b.FlopsPerSample / 1e9:F3} | {(b.DecodingMacsPerSample > 0 ? (b.DecodingFlopsPerSample / 1e9).ToString("F3") : "—")} | {Mb(b.PeakRssBytes)} |");
md.AppendLine();
md.AppendLine($"- **FID-FMNIST, precision, recall**: {n:N0} samples (seed 0) against the first {rows[0].Eval.ReferenceImages:N0} Fashion-MNIST test images, " +
              "features = the 256-d penultimate layer of the project's own classifier (`recipes/pretrained/fashion-mnist-feature-net.bin`, 92.03 % test accuracy). " +
              "Not comparable with Inception FID (see docs/evaluation.md); `lddgan eval --features inception --feature-weights FILE` gives that when the pytorch-fid weights are at hand.");
md.AppendLine($"- **real data**: the first {n:N0} training images measured as if they were samples (`lddgan eval recipes/ddgan-fashion-mnist-weighted.toml --real-data --n {n}`): " +
              "the best score at this n. **autoencoder reconstructions**: the first n test images encoded and decoded by LDDGAN's autoencoder " +
              $"(`lddgan eval {autoencoder} --n {n}`; L1 {ceiling.ReconstructionL1:F4}, PSNR {ceiling.ReconstructionPsnr:F2} dB): no model in its latent space can score better.");
md.AppendLine("- **training time**: the training wall time summed over resumes, as the checkpoint records it; where each model was trained (machine, threads) and, for checkpoints from before that was recorded, how long: recipes/pretrained/README.md.");
md.AppendLine($"- **Time**: sampling 100 images in one batch, decoding included, median of {repeats} runs after warm-up, all models side by side in this one process, " +
              "timed in rounds (one run of each model per round, the first model rotating) so that a slow spell of the shared machine falls on all alike; " +
              "**time ÷ DDGAN's**: the median of the per-round ratios (`lddgan bench --vs` measures the same).");
md.AppendLine("- **GFLOPs / sample**: 2 × multiply-adds of the Conv/Linear modules over all NFE steps (and the decoder; its share is the next column), counted with forward hooks; functional convolutions (FIR resampling, the wavelet transform) are not counted.");
md.AppendLine("- **Peak RSS**: peak resident memory of a fresh `lddgan bench <checkpoint>` process sampling that model alone (runtime and libtorch included).");
md.AppendLine();
md.AppendLine("Reproduce one row: `lddgan eval <checkpoint> --n 10000` and `lddgan bench <checkpoint>`; all three timings side by side: " +
              "`lddgan bench recipes/pretrained/ddgan-fashion-mnist.ckpt recipes/pretrained/wddgan-fashion-mnist.ckpt recipes/pretrained/lddgan-fashion-mnist.ckpt --vs`.");
File.WriteAllText(output, md.ToString());
Log(md.ToString());
Log($"→ {output}");

// One grid per model at the same seed, named as the README shows them.
string Slug(string label) => new(label.ToLowerInvariant().TakeWhile(c => c != '(').Where(char.IsLetterOrDigit).ToArray());
Directory.CreateDirectory(images);
foreach (var (label, path) in models)
{
    using var model = LoadCheckpoint(path);
    string grid = Path.Combine(images, $"{Slug(label)}-fashion-mnist-compare.png");
    SaveGrid(model.Sample(64, seed: 7, batchSize: 64), grid);
    Log($"{label}: grid → {grid}");
}

// The README's short copy of the table, between its markers.
if (readme.Length > 0)
{
    const string begin = "<!-- results-table: written by recipes/results-table.csx -->", end = "<!-- /results-table -->";
    string text = File.ReadAllText(readme);
    int from = text.IndexOf(begin), to = text.IndexOf(end);
    if (from < 0 || to < from) throw new InvalidOperationException($"{readme} has no '{begin}' ... '{end}' markers; add them where the table goes, or pass --readme= to leave it alone.");
    var table = new System.Text.StringBuilder();
    table.AppendLine(begin);
    table.AppendLine("| model | FID-FMNIST ↓ | precision ↑ | recall ↑ | NFE | time / 100 images | time ÷ DDGAN's | generator + decoder params | GFLOPs / sample | training time | peak RSS |");
    table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
    table.AppendLine($"| real data (the floor: {n:N0} training images, `lddgan eval <recipe> --real-data`) | {floor.Fid:F2} | {floor.Precision:F3} | {floor.Recall:F3} | — | — | — | — | — | — | — |");
    table.AppendLine($"| LDDGAN's autoencoder, reconstructions (its ceiling) | {ceiling.Fid:F2} | {ceiling.Precision:F3} | {ceiling.Recall:F3} | — | — | — | — | — | — | — |");
    foreach (var (label, path, e, b) in rows)
        table.AppendLine($"| {label} | {e.Fid:F2} | {e.Precision:F3} | {e.Recall:F3} | {e.Nfe} | {b.SecondsPer100Images:F3} s | {BenchmarkRatios.Of(b, rows[0].Bench).Time:F3} | " +
                         $"{b.GeneratorParameters:N0}{(b.DecoderParameters > 0 ? $" + {b.DecoderParameters:N0}" : "")} | {b.FlopsPerSample / 1e9:F3} | {Hours(e)} | {Mb(b.PeakRssBytes)} |");
    table.Append(end);
    File.WriteAllText(readme, text[..from] + table + text[(to + end.Length)..]);
    Log($"→ {readme} (table between the results-table markers)");
}
