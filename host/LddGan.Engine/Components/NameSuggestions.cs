namespace LddGan.Engine.Components;

/// <summary>"Did you mean" suggestions by edit distance.</summary>
public static class NameSuggestions
{
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int d = Distance(given.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = candidate; }
        }
        // Only suggest when the name is plausibly a typo of the candidate.
        return best is not null && bestDistance <= Math.Max(2, given.Length / 3) ? best : null;
    }

    public static string DidYouMean(string given, IEnumerable<string> candidates) =>
        Closest(given, candidates) is { } s ? $" Did you mean '{s}'?" : "";

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
