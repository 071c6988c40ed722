using static TorchSharp.torch;

namespace LddGan.Engine.Evaluation;

/// <summary>The feature extractors <c>--features</c> can name.</summary>
public static class FeatureExtractors
{
    public static IReadOnlyList<string> Names { get; } = [FeatureNetExtractor.ExtractorName];

    /// <summary>Creates the named extractor; <paramref name="weights"/> overrides where its weights are read from.</summary>
    public static IFeatureExtractor Create(string name, string? weights = null, Device? device = null) => name switch
    {
        FeatureNetExtractor.ExtractorName => FeatureNetExtractor.Load(weights ?? FindShipped(FeatureNetExtractor.DefaultWeights), device),
        _ => throw new EvaluationException($"--features: unknown feature extractor \"{name}\"; known: {string.Join(", ", Names)}."),
    };

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
