using NUnit.Framework;
using System.Text.RegularExpressions;
using LddGan.Tests.Runtime;

namespace LddGan.Tests.Architecture;

/// <summary>
/// The compiler keeps the assemblies apart; inside the engine, these tests keep its folders (one namespace each) free of
/// cycles, so each folder can be read, and later moved out, on its own.
/// </summary>
public sealed class FolderDependencyTests
{
    [Test]
    public void NoTwoEngineFoldersDependOnEachOther()
    {
        var graph = FolderGraph(Path.Combine(RepositoryRoot.Find(), "host", "LddGan.Engine"), "LddGan.Engine");
        Assert.That(graph.Keys, Has.Count.GreaterThan(8), "the engine's folders were not found");
        var cycles = graph.SelectMany(edge => edge.Value.Select(to => (From: edge.Key, To: to)))
            .Where(e => Reaches(graph, e.To, e.From))
            .Select(e => $"{e.From} → {e.To} → … → {e.From}")
            .ToList();
        Assert.That(cycles, Is.Empty, "folders in a cycle (a `using LddGan.Engine.X` that points back):\n" + string.Join("\n", cycles));
    }

    [Test]
    public void TheCheckFindsACycle()
    {
        var graph = new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] };
        Assert.That(Reaches(graph, "B", "A"), Is.True);
        Assert.That(Reaches(graph, "A", "D"), Is.False);
    }

    /// <summary>For each top folder, the other top folders its sources name (<c>prefix.Folder</c> in a using or a qualified name).</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph(string root, string prefix)
    {
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).ToHashSet();
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var folder in folders)
        {
            var uses = new HashSet<string>();
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder!), "*.cs", SearchOption.AllDirectories))
                foreach (Match m in Regex.Matches(File.ReadAllText(file), Regex.Escape(prefix) + @"\.([A-Za-z]+)"))
                    if (m.Groups[1].Value != folder && folders.Contains(m.Groups[1].Value)) uses.Add(m.Groups[1].Value);
            graph[folder!] = uses;
        }
        return graph;
    }

    private static bool Reaches(Dictionary<string, HashSet<string>> graph, string from, string to)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([from]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node == to) return true;
            if (!seen.Add(node)) continue;
            foreach (var next in graph.GetValueOrDefault(node, [])) stack.Push(next);
        }
        return false;
    }
}
