using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using Tomlyn.Model;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>The official model family a checkpoint comes from.</summary>
public enum OfficialModel { Ddgan, Wddgan, Lddgan }

/// <summary>What <c>lddgan import</c> was asked to do.</summary>
/// <param name="File">The official <c>.pth</c>/<c>.ckpt</c> file.</param>
/// <param name="Config">Our recipe describing the same architecture (a diffusion-GAN recipe, or an autoencoder recipe for LDDGAN's first stage).</param>
/// <param name="Output">Our checkpoint to write.</param>
/// <param name="BandOrder">WDDGAN: the Haar channel order the weights were trained with (<c>pytorch_wavelets</c> or <c>wave_cnet</c>); written into the recipe.</param>
/// <param name="DataShape">The image shape, when the recipe's dataset is not installed here (otherwise read from the dataset).</param>
public sealed record ImportRequest(string File, OfficialModel Model, string Config, string Output,
                                   OfficialWeights Weights = OfficialWeights.Ema, string? BandOrder = null, SampleShape? DataShape = null);

/// <summary>What was imported.</summary>
public sealed record ImportSummary(string Output, string Module, string Source, LoadReport Report, long Parameters);

/// <summary>A checkpoint that cannot be imported: the message names the file, the keys and what to do.</summary>
public sealed class ImportException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Maps an official checkpoint onto our components and writes our checkpoint (recipe + weights), so that
/// <c>lddgan sample</c> and fine-tuning work on it. Every key and shape is checked before anything is written.
/// </summary>
public sealed class CheckpointImporter(ComponentCatalog catalog)
{
    public ImportSummary Import(ImportRequest request)
    {
        string configPath = Path.GetFullPath(request.Config);
        if (!File.Exists(configPath)) throw new ImportException($"--config: no recipe at {configPath}");
        var document = RecipeDocument.Read(configPath);
        if (document.IsAutoencoder && request.Model != OfficialModel.Lddgan)
            throw new ImportException($"{configPath} is an autoencoder recipe; only --model lddgan imports autoencoders.");
        return document.IsAutoencoder ? ImportAutoencoder(request, document) : ImportGenerator(request, document);
    }

    private ImportSummary ImportGenerator(ImportRequest request, RecipeDocument document)
    {
        string configPath = document.SourceName;
        if (request.BandOrder is not null) SetBandOrder(document, request.BandOrder);
        var recipe = new RecipeLoader(catalog).Bind(document);
        CheckFamily(request.Model, recipe, configPath);
        var shape = request.DataShape ?? DataShapeOf(recipe.Data, configPath);
        using var model = DiffusionModel.Build(DiffusionModel.ComponentBuilderFor(catalog), recipe, shape, CPU, ModelUse.Sampling);
        using var weights = ReadOfficial(request.File, OfficialNetwork.Generator, request.Weights);
        var report = StateDictLoading.Load(model.Generator, weights.Tensors);
        Require(report, request.File, configPath, "[generator]");
        var meta = Meta(shape, weights.GlobalStep) with { HasEma = weights.IsEma, EmaInitialised = weights.IsEma };
        model.Save(request.Output, recipe.ToToml(Header(request, weights)), meta);
        return new ImportSummary(request.Output, weights.IsEma ? "generator_ema" : "generator", weights.Description, report,
                                 model.Generator.parameters().Sum(p => p.numel()));
    }

    private ImportSummary ImportAutoencoder(ImportRequest request, RecipeDocument document)
    {
        string configPath = document.SourceName;
        var recipe = new AutoencoderRecipeLoader(catalog).Bind(document);
        var shape = request.DataShape ?? DataShapeOf(recipe.Data, configPath);
        var context = new ComponentContext(shape, shape, 0, CPU);
        using var autoencoder = new ComponentBuilder(catalog).Build<Autoencoder>(recipe.Autoencoder, context);
        using var weights = ReadOfficial(request.File, OfficialNetwork.Autoencoder, request.Weights);
        var report = StateDictLoading.Load(autoencoder, weights.Tensors);
        Require(report, request.File, configPath, "[autoencoder]");
        CheckpointFile.Save(request.Output, recipe.ToToml(Header(request, weights)), Meta(shape, weights.GlobalStep), [("autoencoder", autoencoder)], [], []);
        return new ImportSummary(request.Output, "autoencoder", weights.Description, report, autoencoder.parameters().Sum(p => p.numel()));
    }

    private static OfficialStateDict ReadOfficial(string file, OfficialNetwork network, OfficialWeights weights)
    {
        try { return OfficialCheckpoint.Read(Path.GetFullPath(file), network, weights); }
        catch (FileNotFoundException) { throw new ImportException($"no checkpoint at {Path.GetFullPath(file)}"); }
    }

    private static void Require(LoadReport report, string file, string configPath, string section)
    {
        if (report.IsComplete && report.Unexpected.Count == 0) return;
        throw new ImportException(
            $"{file} does not fit the {section} of {configPath}: {report.Describe(12)}. " +
            "Make the recipe's options match the official run's arguments (the counts of missing and unexpected keys usually point at the option); nothing was written.");
    }

    private static void CheckFamily(OfficialModel model, Recipe recipe, string configPath)
    {
        string latent = recipe.Latent.Type;
        string? problem = model switch
        {
            OfficialModel.Ddgan when latent != "pixel" => $"--model ddgan samples in pixel space, but the recipe's [latent] type is \"{latent}\"",
            OfficialModel.Wddgan when latent != "haar" => $"--model wddgan runs in Haar-wavelet space, but the recipe's [latent] type is \"{latent}\" (use type = \"haar\")",
            OfficialModel.Lddgan when latent != "autoencoder" => $"--model lddgan: the generator runs in an autoencoder's latent space, but the recipe's [latent] type is \"{latent}\" (or pass an autoencoder recipe to import the autoencoder)",
            _ => null,
        };
        if (problem is not null) throw new ImportException($"{configPath}: {problem}.");
    }

    /// <summary>Sets [latent] band_order in the recipe text (WDDGAN's two Haar libraries order the bands differently).</summary>
    private static void SetBandOrder(RecipeDocument document, string bandOrder)
    {
        if (bandOrder is not ("pytorch_wavelets" or "wave_cnet"))
            throw new ImportException($"--band-order must be pytorch_wavelets or wave_cnet, not '{bandOrder}'");
        if (!document.Root.TryGetValue("latent", out var latentValue) || latentValue is not TomlTable latent || latent["type"] as string != "haar")
            throw new ImportException($"--band-order applies to a Haar latent space, but {document.SourceName} has no [latent] type = \"haar\".");
        latent["band_order"] = bandOrder;
    }

    private SampleShape DataShapeOf(ComponentSpec data, string configPath)
    {
        try
        {
            using var dataset = new ComponentBuilder(catalog).Build<IDataset>(data, new ComponentContext(default, default, 0, CPU));
            return dataset.Shape;
        }
        catch (Exception e) when (e is LddGan.Engine.Data.DatasetException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImportException($"{configPath}: the image shape comes from the recipe's dataset, which cannot be opened here ({e.Message}); pass --data-shape C,H,W instead.", e);
        }
    }

    private static CheckpointMeta Meta(SampleShape shape, long? step) => new()
    {
        FrameworkVersion = typeof(CheckpointImporter).Assembly.GetName().Version?.ToString() ?? "?",
        Created = DateTimeOffset.UtcNow,
        GlobalStep = step ?? 0,
        DataChannels = shape.Channels, DataHeight = shape.Height, DataWidth = shape.Width,
    };

    private static string Header(ImportRequest request, OfficialStateDict weights) =>
        $"Imported by lddgan import from {Path.GetFileName(request.File)} ({weights.Description}) with --model {request.Model.ToString().ToLowerInvariant()}.";
}
