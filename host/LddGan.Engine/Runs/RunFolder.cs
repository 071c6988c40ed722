using LddGan.Engine.Plugins;

namespace LddGan.Engine.Runs;

/// <summary>The layout every run directory starts with: samples/, checkpoints/, the resolved recipe and run.json.</summary>
public static class RunFolder
{
    /// <summary>
    /// Refuses, before anything is written, to overwrite a run's checkpoint without --resume, or to resume a run that has none.
    /// </summary>
    public static void CheckStart(string runDirectory, string checkpointPath, bool resume)
    {
        if (!resume && File.Exists(checkpointPath))
            throw new RunSetupException(
                $"{runDirectory} already holds a checkpoint ({checkpointPath}). Pass --resume to continue that run, " +
                "or --output <dir> (or [output] dir) to start a new one; nothing was changed.");
        string best = Path.Combine(Path.GetDirectoryName(checkpointPath)!, Checkpoints.CheckpointFile.BestName);
        if (!resume && File.Exists(best))
            throw new RunSetupException(
                $"{runDirectory} already holds an earlier run's best checkpoint ({best}). Start the new run in another folder " +
                "(--output <dir> or [output] dir), or move that file away; nothing was changed.");
        if (resume && !File.Exists(checkpointPath))
            throw new RunSetupException($"--resume: no checkpoint at {checkpointPath} to continue from.");
    }

    public static void Prepare(string runDirectory, string resolvedToml, long seed, string device, IEnumerable<LoadedPlugin> plugins)
    {
        Directory.CreateDirectory(Path.Combine(runDirectory, "samples"));
        Directory.CreateDirectory(Path.Combine(runDirectory, "checkpoints"));
        File.WriteAllText(Path.Combine(runDirectory, "recipe.resolved.toml"), resolvedToml);
        RunInfo.Collect(seed, device, plugins).Save(Path.Combine(runDirectory, "run.json"));
    }
}
