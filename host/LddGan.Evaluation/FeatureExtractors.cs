using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>The feature extractors <c>--features</c> can name.</summary>
public static class FeatureExtractors
{
    public static IReadOnlyList<string> Names { get; } = [FeatureNetExtractor.ExtractorName, "inception"];

    /// <summary>Creates the named extractor; <paramref name="weights"/> overrides where its weights are read from.</summary>
    public static IFeatureExtractor Create(string name, string? weights = null, Device? device = null) => name switch
    {
        FeatureNetExtractor.ExtractorName => FeatureNetExtractor.Load(weights ?? FindShipped(FeatureNetExtractor.DefaultWeights), device),
        "inception" => CreateInception(weights, device),
        _ => throw new EvaluationException($"--features: unknown feature extractor \"{name}\"; known: {string.Join(", ", Names)}."),
    };

    private static IFeatureExtractor CreateInception(string? weights, Device? device)
    {
        if (weights is null)
            throw new EvaluationException("--features inception needs pytorch-fid's Inception weights: pass --feature-weights <pt_inception-2015-12-05-6726825d.pth or its .safetensors> " +
                                          "(they cannot be downloaded here; see docs/evaluation-inception.md).");
        try { return FidInceptionV3.FromFile(weights, device); }
        catch (Exception e) when (e is FileNotFoundException or Interop.InteropException or InceptionWeightsException)
        {
            throw new EvaluationException($"--feature-weights: {e.Message}", e);
        }
    }

    /// <summary>
    /// A file that ships in the repository, given relative to its root: looked up from the working directory and its
    /// parents, then from the executable's folder and its parents; the first candidate if none exists (so the error names it).
    /// </summary>
    public static string FindShipped(string relativePath)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return Path.GetFullPath(relativePath);
    }
}
