using LddGan.Abstractions;

namespace LddGan.Engine.Recipes;

/// <summary>The <c>[sample]</c> section: defaults for <c>lddgan sample</c>.</summary>
public sealed record SamplingOptions : IValidatableOptions
{
    /// <summary>Number of samples <c>lddgan sample</c> writes by default.</summary>
    public int N { get; init; } = 64;
    /// <summary>Grid columns (0: square-ish).</summary>
    public int Columns { get; init; }
    /// <summary>Samples generated per batch.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Seed of the sampling noise (0: the recipe seed).</summary>
    public long Seed { get; init; }

    public IEnumerable<string> Validate()
    {
        if (N < 1) yield return "n must be at least 1";
        if (Columns < 0) yield return "columns must be non-negative";
        if (BatchSize < 1) yield return "batch_size must be at least 1";
    }
}

/// <summary>The <c>[output]</c> section.</summary>
public sealed record OutputOptions : IValidatableOptions
{
    /// <summary>Run directory; relative paths are relative to the current directory. Empty: runs/&lt;name&gt;.</summary>
    public string Dir { get; init; } = "";

    public IEnumerable<string> Validate() { yield break; }
}
