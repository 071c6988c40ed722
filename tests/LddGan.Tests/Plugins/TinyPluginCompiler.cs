using System.Reflection;
using LddGan.Abstractions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TorchSharp;

namespace LddGan.Tests.Plugins;

/// <summary>
/// Builds tiny plugins at test time with Roslyn: one denoiser component whose output is a constant, so a test can
/// tell versions apart by behaviour. Written as <c>&lt;root&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>, as the host expects.
/// </summary>
public static class TinyPluginCompiler
{
    public sealed record Spec(string Name, string Component = "tiny", double Output = 1, string Version = "1.0.0")
    {
        /// <summary>Body of the factory's constructor (e.g. a throw).</summary>
        public string FactoryConstructor { get; init; } = "";
        /// <summary>Statements run in Create before the denoiser is built (e.g. a throw).</summary>
        public string BeforeCreate { get; init; } = "";
        /// <summary>Leave the [Component] attribute off (a DLL that declares no components).</summary>
        public bool WithoutComponent { get; init; }
    }

    public static string Write(string root, Spec spec, string? abstractionsPath = null)
    {
        string source = $$"""
            using LddGan.Abstractions;
            using TorchSharp;
            using static TorchSharp.torch;
            [assembly: System.Reflection.AssemblyVersion("{{spec.Version}}")]
            [assembly: System.Reflection.AssemblyInformationalVersion("{{spec.Version}}")]
            namespace Tiny.{{spec.Name}};
            public sealed record TinyOptions { public int Unused { get; init; } }
            public sealed class TinyDenoiser : Denoiser
            {
                public TinyDenoiser() : base("tiny") { RegisterComponents(); }
                public override int NoiseDim => 1;
                public override Tensor forward(Tensor x, Tensor t, Tensor z) => zeros_like(x) + {{spec.Output.ToString(System.Globalization.CultureInfo.InvariantCulture)}};
            }
            {{(spec.WithoutComponent ? "" : $"[Component(ComponentKind.Denoiser, \"{spec.Component}\", Description = \"tiny test denoiser\")]")}}
            public sealed class TinyFactory : ComponentFactory<TinyOptions, TinyDenoiser>
            {
                public TinyFactory() { {{spec.FactoryConstructor}} }
                public override TinyDenoiser Create(TinyOptions options, ComponentContext context) { {{spec.BeforeCreate}} return new TinyDenoiser(); }
            }
            """;
        var references = FrameworkReferences().Append(MetadataReference.CreateFromFile(typeof(torch).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(abstractionsPath ?? typeof(IComponentFactory).Assembly.Location));
        string dir = Path.Combine(root, spec.Name);
        Directory.CreateDirectory(dir);
        string dll = Path.Combine(dir, spec.Name + ".dll");
        Emit(spec.Name, source, references, dll);
        return dll;
    }

    /// <summary>A stand-in LddGan.Abstractions of another version, to build a plugin against.</summary>
    public static string WriteAbstractions(string folder, string version)
    {
        string source = $$"""
            [assembly: System.Reflection.AssemblyVersion("{{version}}")]
            namespace LddGan.Abstractions;
            public enum ComponentKind { Dataset, LatentSpace, Denoiser, Discriminator, LossSchedule, DiffusionProcess }
            [System.AttributeUsage(System.AttributeTargets.Class)]
            public sealed class ComponentAttribute(ComponentKind kind, string name) : System.Attribute
            {
                public ComponentKind Kind { get; } = kind;
                public string Name { get; } = name;
                public string Description { get; init; } = "";
            }
            public sealed record ComponentContext(int Unused);
            public abstract class Denoiser : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>
            {
                protected Denoiser(string name) : base(name) { }
                public abstract int NoiseDim { get; }
            }
            public abstract class ComponentFactory<TOptions, TComponent>
            {
                public abstract TComponent Create(TOptions options, ComponentContext context);
            }
            """;
        Directory.CreateDirectory(folder);
        string dll = Path.Combine(folder, "LddGan.Abstractions.dll");
        Emit("LddGan.Abstractions", source, FrameworkReferences().Append(MetadataReference.CreateFromFile(typeof(torch).Assembly.Location)), dll);
        return dll;
    }

    private static IEnumerable<MetadataReference> FrameworkReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => MetadataReference.CreateFromFile(p));

    private static void Emit(string assemblyName, string source, IEnumerable<MetadataReference> references, string path)
    {
        var compilation = CSharpCompilation.Create(assemblyName,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        if (!result.Success)
            throw new InvalidOperationException("tiny plugin did not compile:\n" +
                string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        // Replace in one step, as a build does: the host must never see a half-written file.
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, stream.ToArray());
        File.Move(temp, path, overwrite: true);
    }
}
