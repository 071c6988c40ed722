using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LddGan.Abstractions;
using LddGan.Engine.Components;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using TorchSharp;

namespace LddGan.Scripting;

/// <summary>A script that does not compile; <see cref="Exception.Message"/> holds every error as <c>file(line,col): error CSxxxx: message</c>.</summary>
public sealed class ScriptCompilationException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>A script that threw; the message starts with the script line (<c>file(line)</c>) where it happened.</summary>
public sealed class ScriptRuntimeException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Compiles and runs <c>.csx</c> recipes. Each script is compiled once per content (the script and everything it
/// <c>#load</c>s or <c>#r</c>s, hashed) and cached as bytes; every run loads them into a fresh collectible load context that
/// is unloaded afterwards, so a long-lived host can run scripts again and again without growing (Roslyn's own
/// <c>RunAsync</c> leaks one assembly per compilation).
/// </summary>
public sealed partial class ScriptHost
{
    private readonly Dictionary<string, CompiledScript> _cache = new(StringComparer.Ordinal);

    /// <summary>Namespaces every script sees without a <c>using</c>.</summary>
    public static readonly ImmutableArray<string> Imports =
    [
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks",
        "LddGan.Abstractions", "LddGan.Engine.Diffusion", "LddGan.Engine.Models", "LddGan.Engine.Recipes", "LddGan.Engine.Sessions", "LddGan.Engine.Training",
        "LddGan.Scripting", "TorchSharp", "TorchSharp.torch",
    ];

    /// <summary>How many compilations the cache holds (a repeated run of the same content does not compile again).</summary>
    public int CachedCompilations => _cache.Count;

    /// <summary>Compiles (or takes from the cache) and runs a script with <paramref name="globals"/>; returns its final value.</summary>
    public object? Run(string scriptPath, RecipeContext globals)
    {
        var compiled = Compile(scriptPath);
        return Execute(compiled, globals);
    }

    /// <summary>Compiles a script, or returns the cached compilation of identical content.</summary>
    public CompiledScript Compile(string scriptPath)
    {
        string path = Path.GetFullPath(scriptPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"script not found: {path}", path);
        string key = ContentKey(path);
        if (_cache.TryGetValue(key, out var cached)) return cached;

        string code = File.ReadAllText(path);
        RejectNugetReferences(path, code);
        string directory = Path.GetDirectoryName(path)!;
        var options = ScriptOptions.Default
            .WithReferences(typeof(RecipeContext).Assembly, typeof(ComponentCatalog).Assembly, typeof(LddGan.Evaluation.BuiltInComponents).Assembly, typeof(LddGan.Interop.SafetensorsFile).Assembly,
                            typeof(IComponentFactory).Assembly,
                            typeof(torch).Assembly, typeof(Enumerable).Assembly, typeof(Console).Assembly)
            .WithImports(Imports)
            .WithSourceResolver(new SourceFileResolver([directory], directory))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(directory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithFilePath(path);
        var script = CSharpScript.Create<object>(code, options, globalsType: typeof(RecipeContext));
        var compilation = script.GetCompilation();
        if (!compilation.SyntaxTrees.First().GetRoot().ChildNodes().Any())
            throw new ScriptCompilationException([$"{path}(1,1): error: the script has no code (only comments, directives or blank lines), " +
                                                  "so there is nothing to run. See recipes/ddgan-quick.csx for a script recipe."]);

        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var emitted = compilation.Emit(pe, pdb);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(Format).ToList();
        if (!emitted.Success || errors.Count > 0)
            throw new ScriptCompilationException(errors.Count > 0 ? errors : emitted.Diagnostics.Select(Format).DefaultIfEmpty($"{path}: error: the script did not compile.").ToList());

        var entry = compilation.GetEntryPoint(CancellationToken.None)
            ?? throw new InvalidOperationException($"{path}: the compiled script has no entry point.");
        // Assemblies the script #r's itself: loaded into the script's own context at run time.
        var hostDirectories = new[] { Path.GetDirectoryName(typeof(object).Assembly.Location)!, AppContext.BaseDirectory };
        var localReferences = compilation.References.OfType<PortableExecutableReference>()
            .Select(r => r.FilePath).OfType<string>()
            .Where(f => !hostDirectories.Any(d => Path.GetFullPath(f).StartsWith(Path.GetFullPath(d), StringComparison.Ordinal)))
            .ToList();
        var result = new CompiledScript(path, pe.ToArray(), pdb.ToArray(), entry.ContainingType.MetadataName, entry.MetadataName, localReferences);
        _cache[key] = result;
        return result;
    }

    private static object? Execute(CompiledScript compiled, RecipeContext globals)
    {
        var context = new ScriptLoadContext(compiled.LocalReferences);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(compiled.Pe), new MemoryStream(compiled.Pdb));
            var factory = assembly.GetType(compiled.EntryType)?.GetMethod(compiled.EntryMethod, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException($"{compiled.Path}: the script's entry point was not found.");
            var submission = new object?[] { globals, null };   // slot 0: the globals; slot 1: this submission's state
            try
            {
                var task = (Task<object>)factory.Invoke(null, [submission])!;
                return task.GetAwaiter().GetResult();
            }
            catch (TargetInvocationException e) when (e.InnerException is not null) { throw Runtime(compiled, e.InnerException); }
            catch (Exception e) when (e is not ScriptRuntimeException) { throw Runtime(compiled, e); }
        }
        finally
        {
            context.Unload();
        }
    }

    private static ScriptRuntimeException Runtime(CompiledScript compiled, Exception e)
    {
        // The innermost script frame: "at Submission#0.<<Initialize>>...() in /path/train.csx:line 12".
        var frame = e.StackTrace?.Split('\n').Select(l => ScriptFrame().Match(l)).LastOrDefault(m => m.Success);
        string where = frame is not null ? $"{frame.Groups["file"].Value}({frame.Groups["line"].Value})" : compiled.Path;
        return new ScriptRuntimeException($"{where}: {e.GetType().Name}: {e.Message}", e);
    }

    [GeneratedRegex(@" in (?<file>.+\.csx):line (?<line>\d+)")]
    private static partial Regex ScriptFrame();

    [GeneratedRegex(@"^\s*#load\s+""(?<path>[^""]+)""", RegexOptions.Multiline)]
    private static partial Regex LoadDirective();

    [GeneratedRegex(@"^\s*#r\s+""(?<path>[^""]+)""", RegexOptions.Multiline)]
    private static partial Regex ReferenceDirective();

    private static string Format(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        string file = span.IsValid && !string.IsNullOrEmpty(span.Path) ? span.Path : "(script)";
        return $"{file}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error {d.Id}: {d.GetMessage()}";
    }

    private static void RejectNugetReferences(string path, string code)
    {
        var lines = code.Split('\n');
        var errors = new List<string>();
        for (int i = 0; i < lines.Length; i++)
            if (Regex.IsMatch(lines[i], @"^\s*#r\s+""nuget:", RegexOptions.IgnoreCase))
                errors.Add($"{path}({i + 1},1): error LDG0001: #r \"nuget:...\" is not supported; reference a local assembly (#r \"path/to.dll\") or ship the code as a plugin.");
        if (errors.Count > 0) throw new ScriptCompilationException(errors);
    }

    /// <summary>SHA-256 over the script, every file it #loads (recursively) and the stamps of what it #r's.</summary>
    private static string ContentKey(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string file)
        {
            if (!seen.Add(file) || !File.Exists(file)) return;
            string text = File.ReadAllText(file);
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n" + text + "\n"));
            string dir = Path.GetDirectoryName(file)!;
            foreach (Match m in ReferenceDirective().Matches(text))
            {
                var info = new FileInfo(Path.Combine(dir, m.Groups["path"].Value));
                hash.AppendData(Encoding.UTF8.GetBytes($"{info.FullName}|{(info.Exists ? info.Length : -1)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}\n"));
            }
            foreach (Match m in LoadDirective().Matches(text)) Add(Path.GetFullPath(Path.Combine(dir, m.Groups["path"].Value)));
        }
        Add(path);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>A compiled script kept as bytes, so each run can load it into a context that is thrown away after.</summary>
    public sealed record CompiledScript(string Path, byte[] Pe, byte[] Pdb, string EntryType, string EntryMethod, IReadOnlyList<string> LocalReferences);

    /// <summary>Collectible; resolves the script's own #r assemblies, everything else from the host.</summary>
    private sealed class ScriptLoadContext(IReadOnlyList<string> localReferences) : AssemblyLoadContext("lddgan-script", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            foreach (var file in localReferences)
                if (string.Equals(Path.GetFileNameWithoutExtension(file), name.Name, StringComparison.OrdinalIgnoreCase))
                    return LoadFromAssemblyPath(file);
            return null;
        }
    }
}
