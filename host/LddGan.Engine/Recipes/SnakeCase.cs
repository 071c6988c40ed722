using System.Text;

namespace LddGan.Engine.Recipes;

/// <summary>Recipe keys are snake_case forms of option property names (LrG → lr_g, ChMult → ch_mult).</summary>
public static class SnakeCase
{
    public static string From(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                                          || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
                if (boundary) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
