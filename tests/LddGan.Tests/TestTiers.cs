namespace LddGan.Tests;

/// <summary>
/// Test tiers. The full suite (the README's test command, and CI) runs everything; while working,
/// <c>dotnet test LddGan.Framework.sln -c Release --filter "Category!=Slow"</c> leaves out the few tests that train for
/// seconds to minutes (about three quarters of the suite's time).
/// </summary>
public static class TestTiers
{
    /// <summary>A test that trains a model end to end or compiles every shipped script: seconds to minutes each.</summary>
    public const string Slow = "Slow";
}
