using System.Reflection;

namespace LddGan.Evaluation;

/// <summary>
/// The host assemblies besides the engine that declare built-in components: this one (the <c>lpips</c> and
/// <c>feature-distance</c> perceptual losses, which need its networks and Interop's weight readers). The CLI, scripts
/// and tests hand this list to the plugin manager or catalog; the engine itself never references Evaluation.
/// </summary>
public static class BuiltInComponents
{
    public static IReadOnlyList<Assembly> Assemblies { get; } = [typeof(BuiltInComponents).Assembly];
}
