using LddGan.Engine.Plugins;

namespace LddGan.Engine.Runs;

/// <summary>The layout every run directory starts with: samples/, checkpoints/, the resolved recipe and run.json.</summary>
public static class RunFolder
{
    public static void Prepare(string runDirectory, string resolvedToml, long seed, string device, IEnumerable<LoadedPlugin> plugins)
    {
        Directory.CreateDirectory(Path.Combine(runDirectory, "samples"));
        Directory.CreateDirectory(Path.Combine(runDirectory, "checkpoints"));
        File.WriteAllText(Path.Combine(runDirectory, "recipe.resolved.toml"), resolvedToml);
        RunInfo.Collect(seed, device, plugins).Save(Path.Combine(runDirectory, "run.json"));
    }
}
