namespace LddGan.Engine.Data;

/// <summary>A dataset's files are not where the recipe says; the message says what was looked for and how to get it.</summary>
public sealed class DatasetNotFoundException(string message, string fileName) : DatasetException(message)
{
    /// <summary>The file that was looked for first.</summary>
    public string FileName { get; } = fileName;
}
