namespace LddGan.Engine.Data;

/// <summary>An IDX file that cannot be read: the message names the file, what is wrong with it, and what to do.</summary>
public sealed class IdxFormatException : DatasetException
{
    public IdxFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}. {Advice}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    public string FilePath { get; }
    public string Problem { get; }

    private const string Advice =
        "The file is damaged or not in IDX format: replace it with the original (for Fashion-MNIST: " +
        "sudo apt-get update && sudo apt-get install --reinstall -y dataset-fashion-mnist), " +
        "or set path under [data] in the recipe to a folder with intact files.";
}
