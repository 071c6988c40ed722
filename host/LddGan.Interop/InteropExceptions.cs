namespace LddGan.Interop;

/// <summary>Base of the errors raised while reading or writing foreign checkpoint formats; the message names the file and the problem.</summary>
public abstract class InteropException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A file is not valid in the format it claims (damaged, truncated, out of range, or a feature we do not support).</summary>
public sealed class InteropFormatException(string message, Exception? inner = null) : InteropException(message, inner);

/// <summary>
/// A pickle names a global (a Python function or class) outside the fixed allow-list. Loading it in Python would run
/// that code; we refuse instead of interpreting it. <see cref="GlobalName"/> is the offending <c>module.name</c>.
/// </summary>
public sealed class UnsafePickleException(string message, string globalName) : InteropException(message)
{
    public string GlobalName => globalName;
}
