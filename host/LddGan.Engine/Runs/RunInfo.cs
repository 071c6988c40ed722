using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using LddGan.Engine.Plugins;
using TorchSharp;

namespace LddGan.Engine.Runs;

/// <summary>Provenance of a run (run.json): seed, versions, plugins with file hashes, machine, git commit.</summary>
public sealed record RunInfo
{
    public long Seed { get; init; }
    public string Host { get; init; } = "";
    public string TorchSharp { get; init; } = "";
    public string LibTorch { get; init; } = "";
    public string Dotnet { get; init; } = RuntimeInformation.FrameworkDescription;
    public string Os { get; init; } = RuntimeInformation.OSDescription;
    public string Machine { get; init; } = Environment.MachineName;
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;
    public string Device { get; init; } = "";
    public int Threads { get; init; }
    public string? GitCommit { get; init; }
    public IReadOnlyList<PluginInfo> Plugins { get; init; } = [];
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    public sealed record PluginInfo(string Name, string Path, string Version, string Sha256, IReadOnlyList<string> Components);

    public static RunInfo Collect(long seed, string device, IEnumerable<LoadedPlugin> plugins) => new()
    {
        Seed = seed,
        Host = typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?",
        TorchSharp = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
        LibTorch = torch.__version__,
        Device = device,
        Threads = torch.get_num_threads(),
        GitCommit = ReadGitCommit(),
        Plugins = plugins.Select(p => new PluginInfo(p.Name, p.AssemblyPath, p.Version, p.Sha256,
            p.Components.Select(c => $"{c.Kind}:{c.Name} {c.Version}").ToList())).ToList(),
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    private static string? ReadGitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null) return null;
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(5000);
            return git.ExitCode == 0 && output.Length >= 7 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null; // git not installed
        }
    }
}
