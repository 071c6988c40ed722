namespace LddGan.Engine.Data;

/// <summary>
/// A dataset cannot be used as configured (missing or damaged files). The message is meant for the user: it says
/// what was looked for or what is wrong, and what to do. Subclasses: <see cref="DatasetNotFoundException"/>,
/// <see cref="IdxFormatException"/>.
/// </summary>
public class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
