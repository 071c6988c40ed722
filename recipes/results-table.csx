// The results table of docs/results.md, in one command: the three shipped Fashion-MNIST models (recipes/pretrained/) are
// evaluated (FID-FMNIST, improved precision/recall with k = 3, against the test split, on the project's own feature
// network) and benchmarked (sampling time per 100 images: median after warm-up, all in this one process; NFE; parameters;
// FLOPs per sample; peak memory), and the table is written as Markdown.
//   lddgan run recipes/results-table.csx -- --n=10000 --repeats=7 --out=docs/results.md
using LddGan.Evaluation.Benchmarks;
using LddGan.Evaluation;

int n = Argument("n", 10000);
int repeats = Argument("repeats", 7);
string output = Argument("out", "docs/results.md");
var models = new[]
{
    ("DDGAN", Argument("ddgan", "recipes/pretrained/ddgan-fashion-mnist.ckpt")),
    ("WDDGAN", Argument("wddgan", "recipes/pretrained/wddgan-fashion-mnist-wavelet.ckpt")),
    ("LDDGAN", Argument("lddgan", "recipes/pretrained/lddgan-fashion-mnist.ckpt")),
};

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

// Sampling time, FLOPs, parameters: all three in this one process, before any evaluation.
var benches = models.ToDictionary(m => m.Item1, m => SamplingBenchmark.Run(m.Item2, Catalog, new BenchmarkOptions { Repeats = repeats }, Log));

var rows = new List<(string Label, string Path, EvaluationReport Eval, BenchmarkResult Bench)>();
foreach (var (label, path) in models)
{
    Log($"{label}: {benches[label].SecondsPer100Images:F3} s per 100 images; evaluating {n:N0} samples from {path}");
    var eval = new EvaluationRunner(Catalog).Run(path, new EvaluationOptions { Count = n });
    Log($"{label}: FID-FMNIST {eval.Fid:F2}, precision {eval.Precision:F3}, recall {eval.Recall:F3} ({eval.TotalSeconds:F0} s)");
    rows.Add((label, path, eval, benches[label] with { PeakRssBytes = peaks[label] }));
}

string Mb(long? bytes) => bytes is long b ? $"{b / 1024.0 / 1024.0:F0} MB" : "n/a";
var md = new System.Text.StringBuilder();
md.AppendLine("# Results: the three shipped Fashion-MNIST models");
md.AppendLine();
md.AppendLine($"Produced by `lddgan run recipes/results-table.csx -- --n={n} --repeats={repeats} --out={output}` on " +
              $"{DateTime.UtcNow:yyyy-MM-dd} ({Environment.ProcessorCount} CPU cores, {rows[0].Bench.Threads} Torch threads, device {rows[0].Bench.Device}).");
md.AppendLine();
md.AppendLine("| model | checkpoint | training steps | FID-FMNIST ↓ | precision ↑ | recall ↑ | NFE | time / 100 images | generator params | decoder params | total params | GFLOPs / sample | peak RSS |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (label, path, e, b) in rows)
    md.AppendLine($"| {label} | `{path}` | {e.GlobalStep:N0} | {e.Fid:F2} | {e.Precision:F3} | {e.Recall:F3} | {e.Nfe} | {b.SecondsPer100Images:F3} s | " +
                  $"{b.GeneratorParameters:N0} | {(b.DecoderParameters > 0 ? b.DecoderParameters.ToString("N0") : "—")} | {b.TotalParameters:N0} | " +
                  $"{b.FlopsPerSample / 1e9:F3} | {Mb(b.PeakRssBytes)} |");
md.AppendLine();
md.AppendLine($"- **FID-FMNIST, precision, recall**: {n:N0} samples (seed 0) against the first {rows[0].Eval.ReferenceImages:N0} Fashion-MNIST test images, " +
              "features = the 256-d penultimate layer of the project's own classifier (`recipes/pretrained/fashion-mnist-feature-net.bin`, 92.03 % test accuracy). " +
              "Not comparable with Inception FID (see docs/evaluation.md); `lddgan eval --features inception --feature-weights FILE` gives that when the pytorch-fid weights are at hand.");
md.AppendLine($"- **Time**: sampling 100 images in one batch, decoding included, median of {repeats} runs after warm-up, all models in this one process (`lddgan bench --vs` measures the same).");
md.AppendLine("- **GFLOPs / sample**: 2 × multiply-adds of the Conv/Linear modules over all NFE steps (and the decoder), counted with forward hooks; functional convolutions (FIR resampling, the wavelet transform) are not counted.");
md.AppendLine("- **Peak RSS**: peak resident memory of a fresh `lddgan bench <checkpoint>` process sampling that model alone (runtime and libtorch included).");
md.AppendLine();
md.AppendLine("Reproduce one row: `lddgan eval <checkpoint> --n 10000` and `lddgan bench <checkpoint>`; all three timings side by side: " +
              "`lddgan bench recipes/pretrained/ddgan-fashion-mnist.ckpt recipes/pretrained/wddgan-fashion-mnist-wavelet.ckpt recipes/pretrained/lddgan-fashion-mnist.ckpt --vs`.");
File.WriteAllText(output, md.ToString());
Log(md.ToString());
Log($"→ {output}");
