using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using LddGan.Abstractions;
using LddGan.Engine.Data;
using Spectre.Console;
using TorchSharp;

namespace LddGan.Cli;

public static class InfoCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var command = new Command("info", "Versions, Torch backend, threads, device, data location and loaded components.");
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            var assembly = typeof(InfoCommand).Assembly;
            string backend = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "?";
            var table = new Table().AddColumns("", "").HideHeaders().Border(TableBorder.Simple);
            void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
            Row("lddgan", assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?");
            Row("abstractions", typeof(IComponentFactory).Assembly.GetName().Version?.ToString() ?? "?");
            Row("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
            Row("libtorch", torch.__version__);
            Row("Torch backend (build)", backend);
            Row(".NET", RuntimeInformation.FrameworkDescription);
            Row("OS", $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
            Row("CPU threads (torch)", $"{torch.get_num_threads()} of {Environment.ProcessorCount} cores");
            Row("CUDA", torch.cuda.is_available() ? $"available, {torch.cuda.device_count()} device(s)" : "not available");
            var data = new FashionMnistOptions();
            bool found = File.Exists(Path.Combine(data.Path, "train-images-idx3-ubyte.gz")) || File.Exists(Path.Combine(data.Path, "train-images-idx3-ubyte"));
            Row("Fashion-MNIST", found
                ? $"found in {data.Path}"
                : $"NOT found in {data.Path} — install: {FashionMnistDataset.InstallCommand}");
            using var host = new HostContext(parse.GetValue(plugins) ?? []);
            Row("plugin folders", string.Join(", ", host.Folders));
            foreach (var p in host.Plugins) Row($"plugin {p.Name} {p.Version}", p.AssemblyPath);
            AnsiConsole.Write(table);
            var components = new Table().AddColumns("kind", "name", "source", "description").Border(TableBorder.Rounded);
            foreach (var r in host.Catalog.Registrations.OrderBy(r => r.Kind).ThenBy(r => r.Name))
                components.AddRow(r.Kind.ToString(), r.Name, Markup.Escape(r.Source == "built-in" ? r.Source : Path.GetFileName(r.Source)), Markup.Escape(r.Description));
            AnsiConsole.Write(components);
            return ErrorReporting.Ok;
        }));
        return command;
    }
}
