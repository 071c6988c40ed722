namespace LddGan.Evaluation;

/// <summary>An evaluation or benchmark cannot run as asked; the message names the file or option and what to do.</summary>
public sealed class EvaluationException(string message, Exception? inner = null) : Exception(message, inner);
