using System.CommandLine;
using System.Diagnostics;
using LddGan.Evaluation.Benchmarks;
using LddGan.Evaluation;
using Spectre.Console;

namespace LddGan.Cli;

public static class BenchCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var models = new Argument<string[]>("models") { Description = "Checkpoints, run directories, or diffusion-GAN recipes (.toml: an untrained model of that configuration).", Arity = ArgumentArity.OneOrMore };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per model (the median is reported).", DefaultValueFactory = _ => 7 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first.", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "Samples per generator call (100 images are timed per run).", DefaultValueFactory = _ => 100 };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampling noise.", DefaultValueFactory = _ => 1 };
        var vs = new Option<bool>("--vs") { Description = "Benchmark all models side by side in this one process (timed runs in rounds, one per model, so a busy machine slows all alike) and print ratios relative to the first, time as the median of run-by-run ratios (otherwise each model runs in its own process when there are several, so peak memory is its own)." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (default: each recipe's device)." };
        var autotune = new Option<bool?>("--cudnn-benchmark") { Description = "On a GPU: cuDNN autotuning, true or false (default: the recipe's [runtime] cudnn_benchmark, on)." };
        var tf32 = new Option<bool?>("--tf32") { Description = "On a GPU: TF32 for convolutions and matrix products, true or false (default: the recipe's [runtime] tf32, on)." };
        var command = new Command("bench", "Time sampling (per 100 images, median after warm-up), NFE, parameters, FLOPs per sample and peak memory of one or more models.")
        {
            models, repeats, warmup, batch, seed, vs, json, device, tf32, autotune,
        };
        var samplerFlags = new SamplerFlags();
        foreach (var option in samplerFlags.All) command.Options.Add(option);
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            var targets = parse.GetRequiredValue(models);
            var options = new BenchmarkOptions
            {
                Repeats = parse.GetValue(repeats),
                Warmup = parse.GetValue(warmup),
                BatchSize = parse.GetValue(batch),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device),
                Tf32 = parse.GetValue(tf32),
                CudnnBenchmark = parse.GetValue(autotune),
                Sampling = samplerFlags.Read(parse),
            };
            var errors = options.Validate().ToList();
            if (errors.Count > 0) throw new UsageException(string.Join(Environment.NewLine, errors));
            // Checked before the benchmark, not after.
            if (parse.GetValue(json) is { } jsonTarget) UsageException.RequireWritableFolderFor(jsonTarget, "--json");
            bool inProcess = parse.GetValue(vs) || targets.Length == 1;
            var pluginFolders = parse.GetValue(plugins) ?? [];
            var results = new List<BenchmarkResult>();
            if (inProcess)
            {
                using var host = new HostContext(pluginFolders, HostContext.RecipeOfRun(targets[0]));
                AnsiConsole.MarkupLine(targets.Length == 1
                    ? $"[grey]benchmarking {Markup.Escape(targets[0])} ({options.Warmup} warm-up + {options.Repeats} timed runs of {options.Images} images)…[/]"
                    : $"[grey]benchmarking {targets.Length} models side by side ({options.Warmup} warm-up runs each, then {options.Repeats} round{(options.Repeats == 1 ? "" : "s")} of one timed run of {options.Images} images per model)…[/]");
                results.AddRange(SamplingBenchmark.RunSideBySide(targets, host.Catalog, options, line => AnsiConsole.MarkupLine($"[grey]  {Markup.Escape(line)}[/]")));
            }
            else
            {
                foreach (var target in targets) results.Add(RunInChildProcess(target, parse, pluginFolders));
            }
            Print(results, ratios: parse.GetValue(vs) && results.Count > 1);
            if (parse.GetValue(json) is { } jsonPath)
            {
                File.WriteAllText(jsonPath, SamplingBenchmark.ToJson(results) + "\n");
                AnsiConsole.MarkupLine($"results → [bold]{Markup.Escape(Path.GetFullPath(jsonPath))}[/]");
            }
            return ErrorReporting.Ok;
        }));
        return command;
    }

    /// <summary>Runs <c>lddgan bench &lt;target&gt; --json tmp</c> with the same options, so each model's peak memory is its own.</summary>
    private static BenchmarkResult RunInChildProcess(string target, ParseResult parse, string[] pluginFolders)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"lddgan-bench-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the lddgan executable is unknown");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        foreach (var arg in new[] { "bench", target, "--json", temp }) start.ArgumentList.Add(arg);
        foreach (var name in new[] { "--repeats", "--warmup", "--batch", "--seed", "--device", "--tf32", "--cudnn-benchmark" })
        {
            var token = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
                .FirstOrDefault(o => o.Option.Name == name);
            if (token is null || token.Implicit) continue;
            start.ArgumentList.Add(name);
            foreach (var t in token.Tokens) start.ArgumentList.Add(t.Value);
        }
        foreach (var folder in pluginFolders) { start.ArgumentList.Add("--plugins"); start.ArgumentList.Add(folder); }
        AnsiConsole.MarkupLine($"[grey]benchmarking {Markup.Escape(target)} in its own process…[/]");
        try
        {
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {self}");
            var stderr = child.StandardError.ReadToEndAsync();
            string stdout = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0 || !File.Exists(temp))
                throw new EvaluationException($"benchmarking {target} failed (exit code {child.ExitCode}):{Environment.NewLine}{stderr.Result.Trim()}{Environment.NewLine}{stdout.Trim()}");
            return SamplingBenchmark.FromJson(File.ReadAllText(temp)).Single();
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void Print(IReadOnlyList<BenchmarkResult> results, bool ratios)
    {
        var table = new Table()
            .AddColumn("model").AddColumn(new TableColumn("NFE").RightAligned())
            .AddColumn(new TableColumn("generator params").RightAligned()).AddColumn(new TableColumn("decoder params").RightAligned())
            .AddColumn(new TableColumn("total params").RightAligned()).AddColumn(new TableColumn("time / 100 images").RightAligned())
            .AddColumn(new TableColumn("GFLOPs / sample").RightAligned()).AddColumn(new TableColumn("peak RSS").RightAligned());
        bool gpu = results.Any(r => r.PeakGpuBytes is not null);
        if (gpu) table.AddColumn(new TableColumn("peak GPU memory").RightAligned());
        foreach (var r in results)
        {
            var cells = new List<string>
            {
                Markup.Escape(r.Label), r.Nfe.ToString(), $"{r.GeneratorParameters:N0}",
                r.DecoderParameters > 0 ? $"{r.DecoderParameters:N0}" : "—", $"{r.TotalParameters:N0}",
                $"{r.SecondsPer100Images:F3} s",
                r.DecodingMacsPerSample > 0 ? $"{r.FlopsPerSample / 1e9:F3} (decoding {r.DecodingFlopsPerSample / 1e9:F3})" : $"{r.FlopsPerSample / 1e9:F3}",
                r.PeakRssBytes is { } peak ? $"{peak / 1048576.0:N0} MB{(r.PeakWasReset ? "" : " *")}" : "n/a",
            };
            if (gpu) cells.Add(r.PeakGpuBytes is { } g ? $"{g / 1048576.0:N0} MB" : "n/a");
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        if (gpu)
            AnsiConsole.MarkupLine("[grey]GPU: the timer starts and stops on a synchronised device; TF32 " +
                                   (results[0].Tf32 == true ? "on" : "off") + "; cuDNN autotuning " + (results[0].CudnnBenchmark == true ? "on" : "off") + "; peak GPU memory: device-wide (CUDA driver), " +
                                   "including the CUDA context and libtorch's cache.[/]");
        AnsiConsole.MarkupLine("[grey]time: median of the timed runs" + (results.Any(r => r.TimedSideBySide) ? " (taken in rounds, one run of each model per round)" : "") +
                               ", generation and decoding, batch " + results[0].BatchSize +
                               $", {results[0].Threads} threads on {Markup.Escape(results[0].Device)}; FLOPs = 2 × multiply-adds of convolution and linear layers; " +
                               "peak RSS: the process's VmHWM from just before loading the model to the end of its " + (results.Any(r => r.TimedSideBySide) ? "warm-up" : "timed runs") +
                               (results.Any(r => !r.PeakWasReset) ? " (* could not be reset: since process start)" : "") + ".[/]");
        if (!ratios) return;
        var relative = new Table().AddColumn($"relative to {Markup.Escape(results[0].Label)}")
            .AddColumn(new TableColumn(results.All(r => r.TimedSideBySide) ? "time (median of per-round ratios, quartiles)" : "time").RightAligned()).AddColumn(new TableColumn("params").RightAligned())
            .AddColumn(new TableColumn("FLOPs").RightAligned()).AddColumn(new TableColumn("peak RSS").RightAligned());
        foreach (var r in results.Select(r => BenchmarkRatios.Of(r, results[0])))
            relative.AddRow(Markup.Escape(r.Label), $"{r.Time:F3}×" + (r.TimeSpread is { } q ? $" ({q.Lower:F3}–{q.Upper:F3})" : ""), $"{r.Parameters:F3}×", $"{r.Flops:F3}×", r.PeakRss is { } m ? $"{m:F3}×" : "n/a");
        AnsiConsole.Write(relative);
    }
}
