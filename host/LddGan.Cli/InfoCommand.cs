using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using LddGan.Abstractions;
using LddGan.Engine.Data;
using LddGan.Engine.Runtime.NativeTorch;
using Spectre.Console;
using TorchSharp;

namespace LddGan.Cli;

public static class InfoCommand
{
    public static Command Create(Option<string[]> plugins, LoadedLibTorch libtorch)
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
            Row("Torch backend (build)", backend);
            Row(".NET", RuntimeInformation.FrameworkDescription);
            Row("OS", $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
            Row("CPU threads (torch)", $"{torch.get_num_threads()} of {Environment.ProcessorCount} cores");
            // Initialise CUDA first (if there is any), so that the libraries it maps are seen below.
            bool cuda = torch.cuda.is_available();
            var inventory = CudaInventory.Read(libtorch.CudaLibraryDirectories);
            Row("libtorch", $"{libtorch.Version ?? "unknown version"} ({Describe(libtorch.Source)}, {libtorch.Method})");
            Row("libtorch file", inventory.LibTorchFile ?? Path.Combine(libtorch.Directory, "libtorch_cpu.so"));
            if (libtorch.BuiltForCuda is { } builtFor) Row("libtorch built for CUDA", builtFor);
            if (libtorch.SymbolsChecked > 0) Row("TorchSharp symbols", $"all {libtorch.SymbolsChecked} needed by libLibTorchSharp.so found");
            Row("CUDA", cuda ? $"available, {torch.cuda.device_count()} device(s)"
                             : $"not available{(libtorch.CudaNote is { } why ? $" ({why})" : inventory.DriverNote is { } d ? $" ({d})" : "")}");
            if (inventory.DriverVersion is { } driver) Row("CUDA driver", $"supports CUDA {driver}");
            if (inventory.RuntimeVersion is { } runtime) Row("CUDA runtime", $"{runtime} ({inventory.RuntimeFile})");
            if (inventory.CudnnVersion is { } cudnn) Row("cuDNN", $"{cudnn} ({inventory.CudnnFile})");
            foreach (var gpu in inventory.Gpus)
                Row($"GPU {gpu.Index}", $"{gpu.Name}, {gpu.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, compute capability {gpu.ComputeMajor}.{gpu.ComputeMinor}");
            if (cuda && LibTorchContext.Open()?.CudnnBenchmark is { } autotune)
                Row("cuDNN autotuning", $"{OnOff(autotune)} (libtorch default; a recipe's [runtime] cudnn_benchmark sets it, default on)");
            if (cuda)
                Row("TF32 in force", $"convolutions (cuDNN) {OnOff(torch.backends.cudnn.allow_tf32)}, matrix products {OnOff(torch.backends.cuda.matmul.allow_tf32)} " +
                                     "(libtorch defaults; a recipe's [runtime] tf32 sets both, default on)");
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

    private static string OnOff(bool on) => on ? "on" : "off";

    private static string Describe(LibTorchSource source) => source switch
    {
        LibTorchSource.Bundled => "bundled CPU libtorch",
        LibTorchSource.EnvironmentVariable => $"installed, from {LibTorchLoader.DirectoryVariable}",
        LibTorchSource.Python => "installed, python3's torch package",
        _ => "TorchSharp's default loading",
    };
}
