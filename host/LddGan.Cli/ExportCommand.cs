using System.CommandLine;
using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using Spectre.Console;
using Tomlyn.Model;

namespace LddGan.Cli;

/// <summary>
/// <c>lddgan export</c>: a small release copy of a checkpoint for sampling and sharing — the recipe, the meta data and the
/// sampling weights only (the EMA generator, or the autoencoder), without optimiser state or discriminators.
/// </summary>
public static class ExportCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var source = new Argument<string>("checkpoint") { Description = "A checkpoint (.ckpt) or a run directory (its checkpoints/latest.ckpt)." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The release checkpoint to write.", Required = true };
        var autoencoder = new Option<string?>("--autoencoder")
        {
            Description = "For a run in an autoencoder latent space: the (exported) autoencoder checkpoint the copy should point to; " +
                          "the scale factor in use is written into its recipe.",
        };
        var command = new Command("export", "Write a small release copy of a checkpoint: recipe and sampling weights only (-o NAME.safetensors: the generator's state dict as safetensors, for exchange).") { source, output, autoencoder };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string path = CheckpointFile.ResolvePath(parse.GetRequiredValue(source));
            string destination = parse.GetRequiredValue(output).FullName;
            UsageException.RequireWritableFolderFor(destination, "--output");
            using var host = new HostContext(parse.GetValue(plugins) ?? [], null);
            string recipeToml;
            using (var reader = CheckpointFile.Open(path)) recipeToml = reader.RecipeToml;
            string[] modules;
            if (recipeToml.Contains("[autoencoder]", StringComparison.Ordinal))
            {
                modules = ["autoencoder"];
            }
            else
            {
                modules = ["generator_ema", "generator"];
                var document = RecipeDocument.Parse(recipeToml, $"{path}!{CheckpointFile.RecipeEntry}");
                using (var model = DiffusionModel.Load(path, host.Catalog))
                {
                    if (model.LatentSpace is IAutoencoderLatentSpace latent)
                    {
                        string? target = parse.GetValue(autoencoder);
                        if (target is null)
                            throw new UsageException("this run samples through an autoencoder: pass --autoencoder <its exported .ckpt> so the copy can find it");
                        // The scale factor actually used (0 means "stored in the autoencoder checkpoint"), written out.
                        var section = (TomlTable)document.Root["latent"];
                        section["checkpoint"] = target;
                        section["scale_factor"] = latent.ScaleFactor;
                    }
                }
                var recipe = new RecipeLoader(host.Catalog).Bind(document);
                // Only the sampling generator is kept: the EMA weights when the run has them.
                using (var reader = CheckpointFile.Open(path)) if (reader.HasModule("generator_ema")) modules = ["generator_ema"];
                recipeToml = recipe.ToToml($"Release copy of run '{recipe.Name}' (lddgan export): sampling weights only.");
            }
            if (destination.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                return ExportSafetensors(path, destination, recipeToml, modules, host);
            var kept = CheckpointFile.SaveRelease(path, destination, recipeToml, modules);
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(destination)}[/] ({new FileInfo(destination).Length / 1024.0 / 1024.0:F2} MB; modules: {string.Join(", ", kept)})");
            return ErrorReporting.Ok;
        }));
        return command;
    }

    private static int ExportSafetensors(string path, string destination, string recipeToml, string[] modules, HostContext host)
    {
        if (modules.Contains("autoencoder"))
            throw new ArgumentException("safetensors export covers generators; export an autoencoder as a .ckpt release copy");
        using var session = DiffusionModel.Load(path, host.Catalog);
        var (module, count) = LddGan.Interop.SafetensorsExport.Write(session, destination, recipeToml);
        AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(destination)}[/] ({new FileInfo(destination).Length / 1024.0 / 1024.0:F2} MB; {count} tensors of '{module}'; the recipe is in the metadata)");
        return ErrorReporting.Ok;
    }
}
