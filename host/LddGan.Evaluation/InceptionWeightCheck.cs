using System.Text;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// Inception weights cannot be used: keys missing or unknown, or shapes that differ from pytorch-fid's network. The
/// message names the file (or dictionary), every offending key, and how to produce a correct file.
/// </summary>
public sealed class InceptionWeightsException(string message) : Exception(message);

/// <summary>Matches a name → tensor dictionary against the network's state dict before anything is copied.</summary>
internal static class InceptionWeightCheck
{
    private const int ListedPerKind = 12;

    /// <summary>Keys of the release file that the feature network does not use: the 1008-class TF classifier.</summary>
    public static bool IsIgnored(string key) => key is "fc.weight" or "fc.bias";

    /// <summary>BatchNorm's update counter: absent from the release file, never read at inference.</summary>
    public static bool IsOptional(string key) => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    public sealed record LoadPlan(IReadOnlyList<string> Load, IReadOnlyList<string> Ignored);

    public static LoadPlan Plan(IReadOnlyDictionary<string, Tensor> targets, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var load = new List<string>();
        var ignored = new List<string>();
        var unexpected = new List<string>();
        var wrongShape = new List<string>();
        var wrongType = new List<string>();
        foreach (var (key, value) in weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (IsIgnored(key)) { ignored.Add(key); continue; }
            if (!targets.TryGetValue(key, out var target)) { unexpected.Add(key); continue; }
            if (!value.shape.SequenceEqual(target.shape))
                wrongShape.Add($"{key}: expected {Shape(target.shape)}, got {Shape(value.shape)}");
            else if (value.is_floating_point() != target.is_floating_point())
                wrongType.Add($"{key}: expected {(target.is_floating_point() ? "a floating-point" : "an integer")} tensor, got {value.dtype}");
            else
                load.Add(key);
        }
        var missing = targets.Keys.Where(k => !weights.ContainsKey(k) && !IsOptional(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count + wrongType.Count > 0)
            throw new InceptionWeightsException(Describe(source, missing, unexpected, wrongShape, wrongType));
        return new LoadPlan(load, ignored);
    }

    private static string Describe(string source, List<string> missing, List<string> unexpected, List<string> wrongShape, List<string> wrongType)
    {
        var text = new StringBuilder($"{source} does not hold pytorch-fid's FID Inception weights:");
        List(text, "missing keys", missing);
        List(text, "unexpected keys", unexpected);
        List(text, "shape mismatches", wrongShape);
        List(text, "type mismatches", wrongType);
        if (unexpected.Any(k => k.StartsWith("blocks.", StringComparison.Ordinal)))
            text.Append("\n  keys named blocks.N.M.* come from pytorch-fid's InceptionV3 wrapper; convert the release file pt_inception-2015-12-05-6726825d.pth itself (its keys are Conv2d_1a_3x3.conv.weight, ...).");
        if (unexpected.Any(k => k.StartsWith("module.", StringComparison.Ordinal)))
            text.Append("\n  keys start with \"module.\" (a DataParallel wrapper); strip that prefix when converting.");
        text.Append("\n  See docs/evaluation-inception.md for where to get the weights and how to convert them.");
        return text.ToString();
    }

    private static void List(StringBuilder text, string kind, List<string> items)
    {
        if (items.Count == 0) return;
        text.Append($"\n  {items.Count} {kind}: {string.Join(", ", items.Take(ListedPerKind))}");
        if (items.Count > ListedPerKind) text.Append($", … and {items.Count - ListedPerKind} more");
    }

    private static string Shape(long[] shape) => $"({string.Join(", ", shape)})";
}
