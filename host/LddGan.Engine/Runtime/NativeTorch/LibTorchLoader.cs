using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>Where the libtorch that this process runs on came from.</summary>
public enum LibTorchSource
{
    /// <summary>Not Linux: TorchSharp's own loading (the NuGet natives).</summary>
    PlatformDefault,
    /// <summary>The libtorch-cpu NuGet natives copied next to lddgan (the default CPU build).</summary>
    Bundled,
    /// <summary>An installed libtorch named by <c>LDDGAN_LIBTORCH</c>.</summary>
    EnvironmentVariable,
    /// <summary>The libtorch of the PyTorch that <c>python3</c> imports.</summary>
    Python,
}

/// <summary>What <see cref="LibTorchLoader.Load"/> found and did.</summary>
public sealed record LoadedLibTorch
{
    public required LibTorchSource Source { get; init; }
    /// <summary>The folder of libtorch_cpu.so (empty for <see cref="LibTorchSource.PlatformDefault"/>).</summary>
    public required string Directory { get; init; }
    /// <summary>PyTorch's version string (e.g. 2.11.0+cu130), or the bundled package's version.</summary>
    public string? Version { get; init; }
    /// <summary>The CUDA version the libtorch was built for (from PyTorch's version.py), if any.</summary>
    public string? BuiltForCuda { get; init; }
    /// <summary>How the libraries were made loadable: "bundled", "preload" (dlopen by full path) or "LD_LIBRARY_PATH (re-exec)".</summary>
    public required string Method { get; init; }
    /// <summary>Whether libtorch_cuda.so is loaded (CUDA usable if a GPU and driver are present too).</summary>
    public bool CudaLibrariesLoaded { get; init; }
    /// <summary>Why the CUDA libraries are not loaded (none in this libtorch, or the loader's message).</summary>
    public string? CudaNote { get; init; }
    /// <summary>Folders of the CUDA libraries of the PyTorch wheel (site-packages/nvidia/*/lib).</summary>
    public IReadOnlyList<string> CudaLibraryDirectories { get; init; } = [];
    /// <summary>Undefined symbols of libLibTorchSharp.so checked against the loaded libraries (0 when not checked).</summary>
    public int SymbolsChecked { get; init; }
}

/// <summary>A libtorch that cannot be used: the message names what was found and what to do.</summary>
public sealed class LibTorchLoadException(string message) : Exception(message);

/// <summary>
/// Makes libtorch loadable before the first torch call. On Linux, lddgan either bundles the libtorch-cpu NuGet natives
/// (default build) or uses an installed libtorch (<c>-p:TorchBackend=external</c>): the folder named by
/// <c>LDDGAN_LIBTORCH</c>, else the one of the PyTorch that <c>python3</c> finds. Its libraries are loaded by full
/// path (dlopen), so that TorchSharp's later loads by name resolve to them and never to another libtorch on the
/// system (e.g. Debian's in /usr/lib); libLibTorchSharp.so's needs are then checked symbol by symbol. When the CUDA
/// libraries cannot be loaded by full path (their own dependencies unresolved), the process re-executes itself once
/// with <c>LD_LIBRARY_PATH</c> naming the libtorch folder and the wheel's nvidia/*/lib folders.
/// </summary>
public static class LibTorchLoader
{
    public const string DirectoryVariable = "LDDGAN_LIBTORCH";
    /// <summary>"preload" or "reexec": force one way of making the libraries loadable (for measurements and debugging).</summary>
    public const string MethodVariable = "LDDGAN_LIBTORCH_LOAD";
    /// <summary>Set to 1 to run on a libtorch outside the tested versions (its symbols are still checked).</summary>
    public const string UntestedVariable = "LDDGAN_LIBTORCH_UNTESTED";
    private const string ReexecMarker = "LDDGAN_LIBTORCH_REEXECUTED";

    /// <summary>The libtorch versions lddgan was tested on (major.minor, inclusive): TorchSharp 0.107 is built for 2.10.</summary>
    public static readonly Version TestedMinimum = new(2, 10), TestedMaximum = new(2, 11);

    private static readonly string[] CoreLibraries = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];
    private static readonly string[] CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];

    /// <summary>Call once, first thing in the process, before anything touches TorchSharp.</summary>
    public static LoadedLibTorch Load()
    {
        if (!OperatingSystem.IsLinux())
            return new LoadedLibTorch { Source = LibTorchSource.PlatformDefault, Directory = "", Method = "TorchSharp default" };

        string? bundled = BundledDirectory();
        string? requested = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (bundled is not null)
        {
            if (!string.IsNullOrEmpty(requested))
                throw new LibTorchLoadException(
                    $"{DirectoryVariable}={requested} is set, but this lddgan bundles its own libtorch ({bundled}); the variable is " +
                    "read only by the external-libtorch build. Unset it, or build that one: dotnet build -c Release -p:TorchBackend=external " +
                    "(see the README's \"Run on a GPU\").");
            foreach (var name in CoreLibraries) LoadByPath(Path.Combine(bundled, name), bundled);
            return new LoadedLibTorch
            {
                Source = LibTorchSource.Bundled, Directory = bundled, Method = "bundled",
                Version = typeof(LibTorchLoader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                    .FirstOrDefault(a => a.Key == "LibTorchPackageVersion")?.Value,
                CudaNote = "the bundled libtorch is the CPU build",
            };
        }

        var (directory, source) = !string.IsNullOrEmpty(requested)
            ? (CheckFolder(requested, $"{DirectoryVariable}={requested}"), LibTorchSource.EnvironmentVariable)
            : (FindWithPython(), LibTorchSource.Python);
        var (version, cuda) = ReadVersion(directory);
        CheckVersion(directory, version);
        var cudaDirectories = WheelCudaLibraryDirectories(directory);
        string method = Environment.GetEnvironmentVariable(MethodVariable) ?? "";
        bool reexecuted = Environment.GetEnvironmentVariable(ReexecMarker) == "1";
        if (method == "reexec" && !reexecuted) ReexecuteWithLibraryPath(directory, cudaDirectories);

        foreach (var name in CoreLibraries) LoadByPath(Path.Combine(directory, name), directory);
        bool cudaLoaded = false;
        string? cudaNote = null;
        if (File.Exists(Path.Combine(directory, "libtorch_cuda.so")))
        {
            try
            {
                foreach (var name in CudaLibraries) LoadByPath(Path.Combine(directory, name), directory);
                cudaLoaded = true;
            }
            catch (LibTorchLoadException e)
            {
                if (method != "preload" && !reexecuted && cudaDirectories.Count > 0) ReexecuteWithLibraryPath(directory, cudaDirectories);
                cudaNote = $"CUDA libraries not loadable: {e.Message}";
            }
        }
        else cudaNote = "this libtorch has no libtorch_cuda.so (a CPU build of PyTorch)";

        int checkedSymbols = CheckTorchSharpSymbols(directory, version, cudaLoaded);
        return new LoadedLibTorch
        {
            Source = source, Directory = directory, Version = version, BuiltForCuda = cuda,
            Method = reexecuted ? "LD_LIBRARY_PATH (re-exec)" : "preload (dlopen by full path)",
            CudaLibrariesLoaded = cudaLoaded, CudaNote = cudaNote, CudaLibraryDirectories = cudaDirectories,
            SymbolsChecked = checkedSymbols,
        };
    }

    /// <summary>The folder of the bundled libtorch natives: next to the app, or in runtimes/linux-x64/native (build output).</summary>
    private static string? BundledDirectory()
    {
        string baseDir = AppContext.BaseDirectory;
        return new[] { baseDir, Path.Combine(baseDir, "runtimes", RuntimeRid, "native") }
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
    }

    private static string RuntimeRid => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    private static string CheckFolder(string folder, string from)
    {
        string full = Path.GetFullPath(folder);
        if (File.Exists(Path.Combine(full, "libtorch_cpu.so"))) return full;
        if (File.Exists(Path.Combine(full, "lib", "libtorch_cpu.so"))) return Path.Combine(full, "lib");   // the torch package folder
        throw new LibTorchLoadException(
            $"{from}: {full} holds no libtorch_cpu.so. Point it at the lib folder of an installed PyTorch " +
            "(python3 -c \"import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))\") or of a libtorch archive.");
    }

    private static string FindWithPython()
    {
        // find_spec locates the package without importing it (importing torch takes seconds).
        const string script = "import importlib.util, os; s = importlib.util.find_spec('torch'); print(os.path.dirname(s.origin) if s else '')";
        string output;
        try
        {
            var start = new ProcessStartInfo("python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            output = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(30_000)) { process.Kill(); output = ""; }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            output = "";
        }
        if (output.Length == 0)
            throw new LibTorchLoadException(
                "this lddgan uses an installed libtorch (TorchBackend=external) and found none: python3 has no torch package " +
                $"(or there is no python3). Set {DirectoryVariable} to the lib folder of a PyTorch installation " +
                "(…/site-packages/torch/lib), or install PyTorch (pip install torch), or use the default build, which bundles a CPU libtorch.");
        return CheckFolder(Path.Combine(output, "lib"), $"python3's torch package ({output})");
    }

    /// <summary>PyTorch's version.py beside the lib folder: <c>__version__ = '2.11.0+cu130'</c>, <c>cuda = '13.0'</c>.</summary>
    private static (string? Version, string? Cuda) ReadVersion(string libDirectory)
    {
        string file = Path.Combine(Path.GetDirectoryName(libDirectory)!, "version.py");
        if (!File.Exists(file)) return (null, null);
        string text = File.ReadAllText(file);
        string? Field(string pattern) => Regex.Match(text, pattern, RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;
        return (Field(@"^__version__\s*=\s*['""]([^'""]+)['""]"), Field(@"^cuda\s*(?::[^=]*)?=\s*['""]([^'""]+)['""]"));
    }

    private static void CheckVersion(string directory, string? version)
    {
        bool allowUntested = Environment.GetEnvironmentVariable(UntestedVariable) == "1";
        var match = version is null ? null : Regex.Match(version, @"^(\d+)\.(\d+)");
        if (match is { Success: true })
        {
            var v = new Version(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
            if ((v >= TestedMinimum && v <= TestedMaximum) || allowUntested) return;
            throw new LibTorchLoadException(
                $"the libtorch in {directory} is version {version}, outside the versions lddgan is tested with " +
                $"({TestedMinimum}–{TestedMaximum}; TorchSharp 0.107 is built for 2.10). Install a PyTorch in that range " +
                $"(pip install 'torch>={TestedMinimum},<{TestedMaximum.Major}.{TestedMaximum.Minor + 1}'), point {DirectoryVariable} at one, " +
                $"or set {UntestedVariable}=1 to try it anyway (its symbols are still checked).");
        }
        if (!allowUntested)
            throw new LibTorchLoadException(
                $"cannot tell the version of the libtorch in {directory} (no version.py beside it). Set {UntestedVariable}=1 to use it " +
                "anyway (its symbols are still checked), or point " + DirectoryVariable + " at the lib folder of a PyTorch installation.");
    }

    /// <summary>site-packages/nvidia/*/lib of the wheel that holds <paramref name="libDirectory"/> (site-packages/torch/lib).</summary>
    private static IReadOnlyList<string> WheelCudaLibraryDirectories(string libDirectory)
    {
        string nvidia = Path.GetFullPath(Path.Combine(libDirectory, "..", "..", "nvidia"));
        if (!System.IO.Directory.Exists(nvidia)) return [];
        return System.IO.Directory.EnumerateDirectories(nvidia, "lib", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 })
            .Order(StringComparer.Ordinal).ToList();
    }

    private static IntPtr LoadByPath(string path, string directory)
    {
        try { return NativeLibrary.Load(path); }
        catch (DllNotFoundException e)
        {
            throw new LibTorchLoadException($"cannot load {path} (libtorch in {directory}): {e.Message}");
        }
    }

    /// <summary>
    /// Every non-weak undefined symbol of libLibTorchSharp.so must be provided by the loaded libtorch (or the C/C++
    /// runtime it links): a missing one would otherwise crash at its first call, long after start-up.
    /// </summary>
    private static int CheckTorchSharpSymbols(string directory, string? version, bool cudaLoaded)
    {
        string baseDir = AppContext.BaseDirectory;
        string? torchSharp = new[] { baseDir, Path.Combine(baseDir, "runtimes", RuntimeRid, "native") }
            .Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
        if (torchSharp is null)
            throw new LibTorchLoadException($"libLibTorchSharp.so is missing from {baseDir}: the lddgan build is incomplete (rebuild or re-extract it).");
        var providers = CoreLibraries.Concat(cudaLoaded ? CudaLibraries : [])
            .Select(name => NativeLibrary.Load(Path.Combine(directory, name))).ToList();
        // std::ios_base_library_init() (GCC 13's libstdc++) is declared but referenced by no relocation; the build marks
        // its version need weak (WeakenElfVersionNeed) so that older C++ runtimes load the library.
        var undefined = ElfDynamicSymbols.Undefined(torchSharp).Where(s => s != "_ZSt21ios_base_library_initv").ToList();
        var missing = undefined.Where(symbol => !providers.Any(h => NativeLibrary.TryGetExport(h, symbol, out _))).ToList();
        if (missing.Count > 0)
            throw new LibTorchLoadException(
                $"the libtorch in {directory} (version {version ?? "unknown"}) lacks {missing.Count} of the {undefined.Count} symbols " +
                $"that TorchSharp's {torchSharp} needs, e.g. {string.Join(", ", missing.Take(4))}. TorchSharp 0.107 is built for " +
                $"libtorch 2.10: use a PyTorch {TestedMinimum}–{TestedMaximum} (pip install 'torch>={TestedMinimum},<{TestedMaximum.Major}.{TestedMaximum.Minor + 1}') " +
                $"and point {DirectoryVariable} at its torch/lib folder.");
        return undefined.Count;
    }

    /// <summary>Replaces this process by itself with LD_LIBRARY_PATH set (the dynamic loader reads it only at start-up).</summary>
    private static void ReexecuteWithLibraryPath(string directory, IReadOnlyList<string> cudaDirectories)
    {
        var paths = new List<string> { directory };
        paths.AddRange(cudaDirectories);
        string? existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(existing)) paths.Add(existing);
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => (string)e.Key is not ("LD_LIBRARY_PATH" or ReexecMarker))
            .Select(e => $"{e.Key}={e.Value}")
            .Append($"LD_LIBRARY_PATH={string.Join(':', paths)}")
            .Append($"{ReexecMarker}=1")
            .Append(null).ToArray();
        // The exact argv of this process (for `dotnet lddgan.dll …` as for the apphost `lddgan …`).
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0').Cast<string?>().Append(null).ToArray();
        Console.Out.Flush();
        Execve("/proc/self/exe", argv, environment);
        throw new LibTorchLoadException($"could not re-execute lddgan with LD_LIBRARY_PATH set (errno {Marshal.GetLastPInvokeError()}). " +
                                        $"Set it yourself: LD_LIBRARY_PATH={string.Join(':', paths)}");
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(string path, string?[] argv, string?[] environment);
}
