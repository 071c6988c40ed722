namespace LddGan.Engine.Recipes;

/// <summary>A problem in a recipe, located as <c>file(line,col)</c> when the position is known.</summary>
public sealed class RecipeException : Exception
{
    public RecipeException(IReadOnlyList<string> errors) : base(string.Join(Environment.NewLine, errors)) => Errors = errors;
    public RecipeException(string error) : this([error]) { }

    public IReadOnlyList<string> Errors { get; }
}
