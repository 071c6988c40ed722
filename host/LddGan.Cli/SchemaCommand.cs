using System.CommandLine;
using LddGan.Engine.Recipes;

namespace LddGan.Cli;

/// <summary><c>lddgan schema</c>: the recipe reference (every section, component and key) as Markdown, from the loaded plugins.</summary>
public static class SchemaCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var update = new Option<string?>("--update") { Description = "Rewrite the generated part of this file (e.g. docs/recipes.md) instead of printing." };
        var command = new Command("schema", "Print the recipe reference: every section, component and option with its type, default and meaning.") { update };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            using var host = new HostContext(parse.GetValue(plugins) ?? []);
            if (parse.GetValue(update) is { } path)
            {
                if (!File.Exists(path))
                    throw new UsageException($"--update {path}: no such file. --update rewrites the generated part of an existing " +
                                             "reference (docs/recipes.md); to write a new one, redirect the printed schema: lddgan schema > FILE.");
                RecipeSchema.Update(path, host.Catalog);
                Console.WriteLine($"updated {Path.GetFullPath(path)}");
            }
            else Console.Write(RecipeSchema.Markdown(host.Catalog));
            return ErrorReporting.Ok;
        }));
        return command;
    }
}
