using System.CommandLine;
using System.Diagnostics;
using LddGan.Engine.Models;
using LddGan.Engine.Sessions;
using Spectre.Console;

namespace LddGan.Cli;

public static class SampleCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A .ckpt file, or a run directory (uses its checkpoints/latest.ckpt)." };
        var n = new Option<int?>("--n") { Description = "Number of samples (default: the recipe's [sample] n)." };
        var output = new Option<string>("--out", "-o") { Description = "Output PNG (a grid of images, or a scatter plot for 2-D data).", DefaultValueFactory = _ => "samples.png" };
        var seed = new Option<long?>("--seed") { Description = "Seed of the sampling noise (default: [sample] seed, else the recipe seed)." };
        var columns = new Option<int?>("--columns") { Description = "Grid columns (default: square-ish)." };
        var batch = new Option<int?>("--batch-size") { Description = "Samples generated per batch (default: [sample] batch_size)." };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (default: the recipe's device)." };
        var sampler = new Option<string?>("--sampler") { Description = "Gaussian diffusion models: ancestral (DDPM, all T steps) or ddim (default: [sample] sampler)." };
        var steps = new Option<int?>("--steps") { Description = "Gaussian diffusion models, DDIM: network steps, evenly spaced over T (default: [sample] steps; 0: all T)." };
        var classOption = new Option<string?>("--class") { Description = "Class-conditional models: a class index for every sample, or 'each' for one row per class (--n a multiple of the classes). Default: class i mod classes for sample i." };
        var guidance = new Option<double?>("--guidance") { Description = "Class-conditional Gaussian models: classifier-free guidance scale s ≥ 0 (0: unconditional, 1: conditional; default: [sample] guidance_scale)." };
        var eta = new Option<double?>("--eta") { Description = "Gaussian diffusion models, DDIM: η in [0, 1] (0: deterministic; default: [sample] eta)." };
        var command = new Command("sample", "Sample from a trained checkpoint with its EMA generator and write a PNG.")
        {
            checkpoint, n, output, seed, columns, batch, device, sampler, steps, eta, classOption, guidance,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            // Every argument is checked before any work starts.
            if (parse.GetValue(n) is < 1 and var badCount) throw new UsageException($"--n must be at least 1, got {badCount}.");
            if (parse.GetValue(batch) is < 1 and var badBatch) throw new UsageException($"--batch-size must be at least 1, got {badBatch}.");
            if (parse.GetValue(columns) is < 1 and var badColumns) throw new UsageException($"--columns must be at least 1, got {badColumns}.");
            if (parse.GetValue(sampler) is { } s && s is not ("ancestral" or "ddim")) throw new UsageException($"--sampler must be ancestral or ddim, got {s}.");
            if (parse.GetValue(steps) is < 0 and var badSteps) throw new UsageException($"--steps must be 0 (all T) or positive, got {badSteps}.");
            if (parse.GetValue(eta) is { } e && !(e >= 0 && e <= 1)) throw new UsageException($"--eta must lie in [0, 1], got {e}.");
            if (parse.GetValue(guidance) is { } g && !(g >= 0 && double.IsFinite(g))) throw new UsageException($"--guidance must be a number ≥ 0, got {g}.");
            string outputPath = Path.GetFullPath(parse.GetValue(output)!);
            UsageException.RequireWritableFolderFor(outputPath, "--out");
            using var host = new HostContext(parse.GetValue(plugins) ?? [], HostContext.RecipeOfRun(parse.GetRequiredValue(checkpoint)));
            using var session = DiffusionModel.Load(parse.GetRequiredValue(checkpoint), host.Catalog, parse.GetValue(device));
            var sample = session.Recipe.Sample;
            int count = parse.GetValue(n) ?? sample.N;
            if (count < 1) throw new UsageException($"[sample] n of the checkpoint's recipe is {count}; pass --n.");
            long noiseSeed = parse.GetValue(seed) ?? (sample.Seed != 0 ? sample.Seed : session.Recipe.Seed);
            var sampling = GaussianSampling.FromOptions(session, parse.GetValue(sampler), parse.GetValue(steps), parse.GetValue(eta), parse.GetValue(guidance));
            using var labels = ClassChoice.Labels(session, parse.GetValue(classOption), count);
            var clock = Stopwatch.StartNew();
            using var samples = session.Sample(count, noiseSeed, parse.GetValue(batch) ?? sample.BatchSize, sampling, labels);
            clock.Stop();
            string path = outputPath;
            SampleRenderer.Save(samples, path, parse.GetValue(columns) ?? (sample.Columns > 0 ? sample.Columns : null));
            AnsiConsole.MarkupLine(
                $"{count} samples from {Markup.Escape(session.CheckpointPath!)} (step {session.Meta.GlobalStep}, " +
                $"{(session.UsesEma ? "EMA" : "raw")} weights, {GaussianSampling.Describe(session, sampling)}NFE {session.NumFunctionEvaluations(sampling)}, seed {noiseSeed}) in {clock.Elapsed.TotalSeconds:F2} s → [bold]{Markup.Escape(path)}[/]");
            // The mode-coverage toy has a known answer: report it beside the plot.
            if (session.Recipe.Data.Options is LddGan.Engine.Data.TwentyFiveGaussiansOptions toy)
            {
                using var dataset = new LddGan.Engine.Data.TwentyFiveGaussiansDataset(toy with { Count = 25 });
                AnsiConsole.WriteLine($"mode coverage: {dataset.Evaluate(samples)}");
            }
            return ErrorReporting.Ok;
        }));
        return command;
    }
}

/// <summary>The Gaussian sampler the command line asks for: the checkpoint recipe's [sample] keys with the flags given over them.</summary>
internal static class GaussianSampling
{
    public static LddGan.Engine.Diffusion.GaussianSamplerSettings? FromOptions(DiffusionModel model, string? sampler, int? steps, double? eta, double? guidance = null)
    {
        if (guidance is not null && (model.GaussianProcess is null || model.NumClasses == 0))
            throw new UsageException($"--guidance is classifier-free guidance of a class-conditional Gaussian diffusion model; {model.CheckpointPath} is " +
                                     (model.GaussianProcess is null ? "a diffusion GAN." : "not class-conditional (train it with [generator] num_classes and [train] label_dropout)."));
        var recipe = model.Recipe.Sample.GaussianSampler;
        if (model.GaussianProcess is null)
        {
            if (sampler is not null || steps is not null || eta is not null)
                throw new UsageException($"--sampler, --steps and --eta choose how a Gaussian diffusion model samples; {model.CheckpointPath} is a diffusion GAN, " +
                                         $"which always takes its T = {model.NumTimesteps} generator steps.");
            return null;
        }
        var chosen = recipe with { Sampler = sampler ?? recipe.Sampler, Steps = steps ?? recipe.Steps, Eta = eta ?? recipe.Eta, GuidanceScale = guidance ?? recipe.GuidanceScale };
        if (!chosen.IsDdim && (chosen.Steps != 0 && chosen.Steps != model.NumTimesteps || chosen.Eta != 0) && (steps is not null || eta is not null))
            throw new UsageException($"--steps and --eta apply to the DDIM sampler; the ancestral sampler takes all T = {model.NumTimesteps} steps. Add --sampler ddim.");
        return chosen;
    }

    public static string Describe(DiffusionModel model, LddGan.Engine.Diffusion.GaussianSamplerSettings? sampling) =>
        sampling is null || model.GaussianProcess is null ? ""
            : sampling.Describe(model.NumTimesteps) + (model.NumClasses > 0 ? $", guidance {sampling.GuidanceScale:0.##}" : "") + ", ";
}

/// <summary>The classes <c>--class</c> asks a class-conditional model for.</summary>
internal static class ClassChoice
{
    public static TorchSharp.torch.Tensor? Labels(DiffusionModel model, string? choice, int count)
    {
        if (choice is null) return null;
        int classes = model.NumClasses;
        if (classes == 0)
            throw new UsageException($"--class needs a class-conditional model; {model.CheckpointPath} is unconditional (train one with [generator] num_classes).");
        if (choice == "each")
        {
            if (count % classes != 0)
                throw new UsageException($"--class each gives one row per class: --n must be a multiple of the {classes} classes, got {count}.");
            return TorchSharp.torch.arange(count, TorchSharp.torch.ScalarType.Int64).div(count / classes, rounding_mode: TorchSharp.torch.RoundingMode.floor);
        }
        if (!int.TryParse(choice, out int label) || label < 0 || label >= classes)
            throw new UsageException($"--class must be a class index 0 … {classes - 1} or 'each', got '{choice}'.");
        return TorchSharp.torch.full(count, label, TorchSharp.torch.ScalarType.Int64);
    }
}
