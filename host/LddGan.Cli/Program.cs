using System.CommandLine;
using LddGan.Cli;
using LddGan.Engine.Runtime.NativeTorch;

// First, before anything touches TorchSharp: make the right libtorch loadable (bundled, or an installed PyTorch's).
LoadedLibTorch libtorch;
try { libtorch = LibTorchLoader.Load(); }
catch (LibTorchLoadException e)
{
    Console.Error.WriteLine("libtorch error:");
    foreach (var line in e.Message.Split('\n')) Console.Error.WriteLine("  " + line.TrimEnd());
    return ErrorReporting.Unavailable;
}

// Piped or redirected output (logs, CI) has no terminal width: don't cut tables at 80 columns.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;

var pluginsOption = new Option<string[]>("--plugins")
{
    Description = "Extra plugin folder(s) to load, besides plugins/ next to lddgan and LDDGAN_PLUGIN_PATH.",
    Recursive = true,
    AllowMultipleArgumentsPerToken = true,
};

using var signals = new StopSignals();
var root = new RootCommand("lddgan — train and sample denoising diffusion GANs (DDGAN, WDDGAN, LDDGAN) with TorchSharp.")
{
    TrainCommand.Create(pluginsOption, signals),
    SampleCommand.Create(pluginsOption),
    InfoCommand.Create(pluginsOption, libtorch),
    PluginsCommand.Create(pluginsOption),
    WatchCommand.Create(pluginsOption, signals),
    RunCommand.Create(pluginsOption, signals),
    SchemaCommand.Create(pluginsOption),
    ExportCommand.Create(pluginsOption),
    ImportCommand.Create(pluginsOption),
    EvalCommand.Create(pluginsOption),
    BenchCommand.Create(pluginsOption),
    DataCommand.Create(pluginsOption),
};
root.Options.Add(pluginsOption);
return root.Parse(args).Invoke();
