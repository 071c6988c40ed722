using System.CommandLine;
using LddGan.Abstractions;
using LddGan.Interop;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>
/// <c>lddgan import</c>: an official DDGAN / WDDGAN / LDDGAN PyTorch checkpoint → our checkpoint, read without running any
/// of its code; keys and shapes are checked against the recipe's components before anything is written.
/// </summary>
public static class ImportCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var file = new Argument<FileInfo>("file") { Description = "The official checkpoint: netG_*.pth, content.pth, or an LDM/Lightning autoencoder .ckpt (torch.save zip format)." };
        var model = new Option<string>("--model") { Description = "The official code it comes from: ddgan, wddgan or lddgan.", Required = true };
        model.AcceptOnlyFromAmong("ddgan", "wddgan", "lddgan");
        var config = new Option<FileInfo>("--config") { Description = "Our recipe with the same architecture (an autoencoder recipe to import LDDGAN's first stage).", Required = true };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Our checkpoint to write.", Required = true };
        var weights = new Option<string>("--weights") { Description = "content.pth only: the generator's EMA weights (default, as released) or its raw weights.", DefaultValueFactory = _ => "ema" };
        weights.AcceptOnlyFromAmong("ema", "raw");
        var bandOrder = new Option<string?>("--band-order") { Description = "WDDGAN: the Haar band order the weights were trained with: pytorch_wavelets (--use_pytorch_wavelet) or wave_cnet (the repo's DWT_2D)." };
        var dataShape = new Option<string?>("--data-shape") { Description = "C,H,W of the images, when the recipe's dataset is not installed here." };
        var command = new Command("import", "Import an official PyTorch checkpoint (safe reader: never runs code from the file).")
        {
            file, model, config, output, weights, bandOrder, dataShape,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            UsageException.RequireWritableFolderFor(parse.GetRequiredValue(output).FullName, "--output");
            using var host = new HostContext(parse.GetValue(plugins) ?? [], null);
            var request = new ImportRequest(
                parse.GetRequiredValue(file).FullName,
                Enum.Parse<OfficialModel>(parse.GetRequiredValue(model), ignoreCase: true),
                parse.GetRequiredValue(config).FullName,
                parse.GetRequiredValue(output).FullName,
                parse.GetValue(weights) == "raw" ? OfficialWeights.Raw : OfficialWeights.Ema,
                parse.GetValue(bandOrder),
                ParseShape(parse.GetValue(dataShape)));
            var summary = new CheckpointImporter(host.Catalog).Import(request);
            AnsiConsole.MarkupLine($"imported [bold]{summary.Report.Loaded}[/] tensors ({summary.Parameters:N0} parameters) from {Markup.Escape(summary.Source)} " +
                                   $"as '{summary.Module}' → [bold]{Markup.Escape(summary.Output)}[/]; missing 0, unexpected 0, shape mismatches 0");
            return ErrorReporting.Ok;
        }));
        return command;
    }

    private static SampleShape? ParseShape(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, out var v) && v > 0))
            throw new ImportException($"--data-shape must be C,H,W with positive integers (e.g. 3,32,32), not '{text}'");
        return new SampleShape(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
    }
}
