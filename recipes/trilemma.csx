// The generative learning trilemma on Fashion-MNIST, in one command: quality (FID-FMNIST), mode coverage (recall) and
// sampling speed (NFE, time per 100 images) of a Gaussian diffusion model sampled by DDPM and by DDIM at several step
// counts, beside the diffusion GANs (DDGAN, WDDGAN, LDDGAN: the shipped checkpoints) and a one-step GAN (DDGAN at T = 1).
// Every row: `lddgan eval` (n samples, seed 0, against the test split, the project's feature network, k = 3),
// `lddgan bench` (median of --repeats runs of 100 images after warm-up, all in this one process) and a 64-sample grid.
//   lddgan run recipes/trilemma.csx -- --n=2000 --n-ddpm1000=2000 --out=docs/trilemma.md
// A row whose checkpoint is missing is listed as not measured, with the command that trains it.
// Each measured row is kept as JSON in --rows (default docs/trilemma-rows/): a row whose checkpoint (SHA-256), sampler,
// n and bench settings have not changed is taken from there instead of being measured again, so a table whose rows take
// hours (DDPM-1000 on a CPU) is built over several runs and every finished row survives an interruption.
// --remeasure=all (or a row's file name, e.g. ddim50) measures again; --only=ddim4,ddim10 measures just those rows now;
// --retime=all (or row names) times kept rows again without evaluating them again: all rows timed on one quiet machine.
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Models;
using LddGan.Evaluation;
using LddGan.Evaluation.Benchmarks;

int n = Argument("n", 2000);
int nDdpm1000 = Argument("n-ddpm1000", 2000);    // 1,000 network calls per sample: hours on a CPU (the row resumes per batch)
int repeats = Argument("repeats", 3);
int benchImages = Argument("bench-images", 100);   // images per timed run (time is reported per 100); fewer only for a smoke run
string output = Argument("out", "docs/trilemma.md");
string images = Argument("images", "docs/images");
string ddpm = Argument("ddpm", "recipes/pretrained/ddpm-fashion-mnist.ckpt");
string oneStep = Argument("one-step", "recipes/pretrained/ddgan-fashion-mnist-t1.ckpt");
int gridCount = Argument("grid", 64);             // samples per grid (64, 8 per row); fewer only for a smoke run
string rowFolder = Argument("rows", "docs/trilemma-rows");
string remeasure = Argument("remeasure", "");
var retime = Argument("retime", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
// --only=ddim4,ddim10: measure just these rows now (the others are taken from --rows when kept there), e.g. the fast rows first.
var only = Argument("only", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

var ddim = (int steps) => new GaussianSamplerSettings("ddim", steps, 0.0);
var rows = new List<(string Label, string Path, GaussianSamplerSettings? Sampling, int N, string TrainedBy)>
{
    ("DDPM-1000", ddpm, new GaussianSamplerSettings("ancestral"), nDdpm1000, "lddgan train recipes/ddpm-fashion-mnist.toml, then lddgan export"),
    ("DDIM-100", ddpm, ddim(100), n, "(the DDPM above)"),
    ("DDIM-50", ddpm, ddim(50), n, "(the DDPM above)"),
    ("DDIM-10", ddpm, ddim(10), n, "(the DDPM above)"),
    ("DDIM-4", ddpm, ddim(4), n, "(the DDPM above)"),
    ("DDGAN-4", Argument("ddgan", "recipes/pretrained/ddgan-fashion-mnist.ckpt"), null, n, "recipes/ddgan-fashion-mnist-weighted.toml"),
    ("WDDGAN-4", Argument("wddgan", "recipes/pretrained/wddgan-fashion-mnist.ckpt"), null, n, "recipes/wddgan-fashion-mnist-weighted.toml"),
    ("LDDGAN-4", Argument("lddgan", "recipes/pretrained/lddgan-fashion-mnist.ckpt"), null, n, "recipes/lddgan-fashion-mnist-light.toml"),
    ("one-step GAN (DDGAN, T = 1)", oneStep, null, n, "lddgan train recipes/ddgan-fashion-mnist-t1.toml (DDGAN-4's 30,000 steps), then lddgan export"),
};

// Training wall time: the checkpoint's own record (summed over resumes, kept by `lddgan export`), else, for a run
// directory from before it was recorded, the sum over its sessions of the last elapsed_s before each restart.
string TrainingTime(string path)
{
    using (var reader = CheckpointFile.Open(CheckpointFile.ResolvePath(path)))
        if (reader.Meta.TrainingSeconds > 0) return $"{reader.Meta.TrainingSeconds / 3600:F2} h, {reader.Meta.GlobalStep:N0} steps";
    string? run = Directory.Exists(path) ? path : null;
    if (run is null || !File.Exists(Path.Combine(run, "metrics.jsonl"))) return "see recipes/pretrained/README.md";
    double total = 0, last = 0;
    long steps = 0;
    foreach (var line in File.ReadLines(Path.Combine(run, "metrics.jsonl")))
    {
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        if (!doc.RootElement.TryGetProperty("elapsed_s", out var e)) continue;
        double elapsed = e.GetDouble();
        if (elapsed < last) total += last;
        last = elapsed;
        steps = doc.RootElement.GetProperty("step").GetInt64();
    }
    return $"{(total + last) / 3600:F2} h, {steps:N0} steps";
}

// Sampling time per 100 images; one timed run without warm-up where a run takes minutes (1,000 network calls per sample).
BenchmarkResult Time(string path, GaussianSamplerSettings? sampling)
{
    bool slow = sampling is { IsDdim: false };
    return SamplingBenchmark.Run(path, Catalog, new BenchmarkOptions
    {
        Repeats = slow ? 1 : repeats, Warmup = slow ? 0 : 1, Images = benchImages, BatchSize = benchImages, Sampling = sampling,
    }, Log);
}
string Conditions(BenchmarkResult bench) => $"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} CPU cores, {bench.Threads} Torch threads, {bench.Device}";

string Slug(string label) => new(label.ToLowerInvariant().TakeWhile(c => c != '(').Where(char.IsLetterOrDigit).ToArray());
var json = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };

Directory.CreateDirectory(images);
Directory.CreateDirectory(rowFolder);
var clock = System.Diagnostics.Stopwatch.StartNew();
var results = new List<string>();
int measuredNow = 0;
foreach (var (label, path, sampling, count, trainedBy) in rows)
{
    if (!File.Exists(path) && !Directory.Exists(path))
    {
        Log($"{label}: {path} not found, not measured (train it: {trainedBy})");
        results.Add($"| {label} | not measured: `{path}` not found (train with {trainedBy}) | | | | | | | | | |");
        continue;
    }
    string slug = Slug(label);
    string rowFile = Path.Combine(rowFolder, slug + ".json");
    string partial = Path.Combine(rowFolder, slug + ".partial");   // the samples of an unfinished evaluation, resumed by the next run
    var key = new TrilemmaRowKey(SampleFeatureProgress.Fingerprint(CheckpointFile.ResolvePath(path)), sampling?.ToString() ?? "diffusion GAN", count, benchImages, repeats);
    var row = File.Exists(rowFile) ? System.Text.Json.JsonSerializer.Deserialize<TrilemmaRow>(File.ReadAllText(rowFile)) : null;
    if (row is not null && row.Key == key && remeasure != "all" && remeasure != slug)
    {
        Log($"{label}: measured on {row.Measured} ({rowFile}), kept");
        if (retime.Contains("all") || retime.Contains(slug))
        {
            var again = Time(path, sampling);
            Log($"{label}: timed again, {again.SecondsPer100Images:F3} s per 100 images (was {row.SecondsPer100Images:F3} s, {row.Timed})");
            row = row with { SecondsPer100Images = again.SecondsPer100Images, Timed = Conditions(again) };
            File.WriteAllText(rowFile, System.Text.Json.JsonSerializer.Serialize(row, json));
        }
    }
    else if (only.Count > 0 && !only.Contains(slug))
    {
        Log($"{label}: not in --only, not measured now");
        results.Add(File.Exists(partial)
            ? $"| {label} | partly sampled: the samples made so far are kept in `{partial}` (`--only={slug}` continues) | | | | | | | | | |"
            : $"| {label} | not measured yet (`--only={slug}` measures it) | | | | | | | | | |");
        continue;
    }
    else
    {
        // Evaluated first, then timed: the samples are kept after every batch (100 samples: a DDPM-1000 batch is minutes
        // on a CPU) and resumed by the next run when this one is stopped, so a stopped run loses at most one batch and
        // the timing (one more batch) is paid once, when the samples are complete.
        Log($"{label}: evaluating {count:N0} samples");
        var eval = new EvaluationRunner(Catalog).Run(path, new EvaluationOptions
        {
            Count = count, Sampling = sampling, BatchSize = 100, ProgressFile = partial,
        });
        if (eval.ResumedSamples > 0) Log($"{label}: {eval.ResumedSamples:N0} of the samples were resumed from {slug}.partial");
        Log($"{label}: FID-FMNIST {eval.Fid:F2}, precision {eval.Precision:F3}, recall {eval.Recall:F3} ({eval.TotalSeconds:F0} s)");
        var bench = Time(path, sampling);
        Log($"{label}: {bench.SecondsPer100Images:F3} s per 100 images, NFE {bench.Nfe}");
        string grid = Path.Combine(images, $"trilemma-{slug}.png");
        using (var model = DiffusionModel.Load(path, Catalog))
        using (var samples = model.Sample(gridCount, seed: 0, sampling: sampling))
            SampleRenderer.Save(samples, grid, 8);
        row = new TrilemmaRow(key, path, eval.GlobalStep, eval.Fid, eval.Precision, eval.Recall, bench.Nfe, bench.SecondsPer100Images,
            bench.GeneratorParameters + bench.DecoderParameters, TrainingTime(path), grid, Conditions(bench), Conditions(bench), eval.TotalSeconds);
        File.WriteAllText(rowFile, System.Text.Json.JsonSerializer.Serialize(row, json));
        measuredNow++;
    }
    results.Add($"| {label} | {row.Fid:F2} | {row.Precision:F3} | {row.Recall:F3} | {row.Key.N:N0} | {row.Nfe} | {row.SecondsPer100Images:F3} s | " +
                $"{row.Parameters:N0} | {row.Training} | {row.Measured}{(row.Timed != row.Measured ? $"; timed {row.Timed}" : "")} | [grid]({Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(output))!, row.Grid)}) |");
}

var md = new System.Text.StringBuilder();
md.AppendLine("# The generative learning trilemma on Fashion-MNIST");
md.AppendLine();
md.AppendLine($"Produced by `lddgan run recipes/trilemma.csx -- --ddpm={ddpm} --n={n} --n-ddpm1000={nDdpm1000} --repeats={repeats}{(benchImages != 100 ? $" --bench-images={benchImages}" : "")} --out={output}` on " +
              $"{DateTime.UtcNow:yyyy-MM-dd} ({Environment.ProcessorCount} CPU cores; this run measured {measuredNow} row(s) in {clock.Elapsed.TotalMinutes:F0} min, the others come from {rowFolder}/).");
md.AppendLine();
md.AppendLine("| model | FID-FMNIST ↓ | precision ↑ | recall ↑ | n | NFE | time / 100 images | params (network + decoder) | training | measured | grid (seed 0) |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var row in results) md.AppendLine(row);
md.AppendLine();
md.AppendLine("- **FID-FMNIST, precision, recall**: n samples (seed 0) against the first n Fashion-MNIST test images, features of the project's " +
              "own classifier (`recipes/pretrained/fashion-mnist-feature-net.bin`), k = 3. FID is biased upwards at small n: compare rows of equal n.");
md.AppendLine("- **DDIM** rows: the DDPM's network sampled with η = 0 on steps evenly spaced over T = 1000; **DDPM-1000**: the ancestral sampler, all 1,000 steps.");
md.AppendLine($"- **time / 100 images**: {(benchImages == 100 ? "one batch of 100" : $"one batch of {benchImages}, scaled to 100")}, decoding included, median of {repeats} after warm-up (DDPM-1000: one run, no warm-up); compare times only between rows measured on the same day and machine (the measured column), as a row kept from an earlier run was timed in that run unless `--retime` timed it again (then the column says when).");
md.AppendLine("- **training**: training wall time summed over the resumes of a run, as its checkpoint records it (or its metrics.jsonl), or as recipes/pretrained/README.md states for a shipped checkpoint from before that was recorded.");
File.WriteAllText(output, md.ToString());
Log(md.ToString());
Log($"→ {output} ({clock.Elapsed.TotalMinutes:F1} min)");

// What a row was measured from: a changed checkpoint or setting measures the row again.
record TrilemmaRowKey(string CheckpointSha256, string Sampling, int N, int BenchImages, int Repeats);
record TrilemmaRow(TrilemmaRowKey Key, string Checkpoint, long Step, double Fid, double Precision, double Recall, int Nfe,
    double SecondsPer100Images, long Parameters, string Training, string Grid, string Measured, string Timed, double EvalSeconds);
