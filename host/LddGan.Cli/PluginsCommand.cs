using System.CommandLine;
using System.Globalization;
using System.Collections;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary><c>lddgan plugins</c>: the plugin folders, each plugin's version and path, and its components with their options.</summary>
public static class PluginsCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var command = new Command("plugins", "List plugin folders, loaded plugins (version, path, hash) and every component with its options and defaults.");
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            using var host = new HostContext(parse.GetValue(plugins) ?? [], reportProblems: false);
            var folders = new Table().AddColumns("plugin folder", "").Border(TableBorder.Simple);
            foreach (var folder in host.Folders)
                folders.AddRow(Markup.Escape(folder), Directory.Exists(folder) ? "[green]exists[/]" : "[grey]missing[/]");
            AnsiConsole.Write(folders);
            AnsiConsole.MarkupLine($"host abstractions: LddGan.Abstractions [bold]{PluginInspector.HostAbstractionsVersion.ToString(3)}[/] " +
                                   "(plugins must match the major version and need no newer minor)");

            foreach (var plugin in host.Plugins)
            {
                AnsiConsole.WriteLine();
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(plugin.Name)}[/] {Markup.Escape(plugin.Version)}  " +
                                       $"(abstractions {Markup.Escape(plugin.AbstractionsVersion)}, sha256 {plugin.Sha256[..12]})");
                AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(plugin.AssemblyPath)}[/]");
                Components(plugin.Components);
            }
            var builtIns = host.Catalog.Registrations.Where(r => r.Source == "built-in").ToList();
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine("[bold]built-in[/] (LddGan.Engine)");
            Components(builtIns);

            if (host.Manager.Problems.Count > 0)
            {
                AnsiConsole.WriteLine();
                AnsiConsole.MarkupLine("[yellow]not loaded / warnings:[/]");
                foreach (var problem in host.Manager.Problems) AnsiConsole.MarkupLine($"  - {Markup.Escape(problem.Message)}");
            }
            return ErrorReporting.Ok;
        }));
        return command;
    }

    private static void Components(IEnumerable<LddGan.Engine.Components.ComponentRegistration> registrations)
    {
        var table = new Table().AddColumns("kind", "name", "version", "options (defaults)").Border(TableBorder.Rounded);
        foreach (var r in registrations.OrderBy(r => r.Kind).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var options = OptionsBinder.Values(r.Factory.CreateDefaultOptions()).Select(kv => $"{kv.Key} = {Format(kv.Value)}");
            table.AddRow(new Markup(r.Kind.ToString()),
                         new Markup($"[bold]{Markup.Escape(r.Name)}[/]\n[grey]{Markup.Escape(r.Description)}[/]"),
                         new Markup(Markup.Escape(r.Version)),
                         new Markup(Markup.Escape(string.Join("\n", options)) is { Length: > 0 } text ? text : "[grey](none)[/]"));
        }
        AnsiConsole.Write(table);
    }

    private static string Format(object? value) => value switch
    {
        null => "(unset)",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable seq => "[" + string.Join(", ", seq.Cast<object?>().Select(Format)) + "]",
        _ => value.ToString() ?? "",
    };
}
