namespace LddGan.Engine.Data;

/// <summary>A dataset whose opening did something the user should hear about (prepared a cache, skipped files).</summary>
public interface IDatasetNotes
{
    /// <summary>Lines shown when a training starts.</summary>
    IReadOnlyList<string> Notes { get; }
}
