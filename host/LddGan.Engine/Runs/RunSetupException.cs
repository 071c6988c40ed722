namespace LddGan.Engine.Runs;

/// <summary>Raised before anything is written when a run cannot start safely (e.g. it would overwrite a checkpoint).</summary>
public sealed class RunSetupException(string message) : Exception(message);
