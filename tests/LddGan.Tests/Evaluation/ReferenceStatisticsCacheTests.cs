using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>Real-data features are computed once per key and read back exactly.</summary>
public sealed class ReferenceStatisticsCacheTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-refcache-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static readonly ReferenceKey Key = new("fashion-mnist", "sha256:abc", "test", 32, 40, "fmnist", "sha256:def");

    private static Func<Tensor> Features(int[] calls, long count = 40, int seed = 1) => () =>
    {
        calls[0]++;
        return randn(count, 6, generator: new TorchSharp.torch.Generator((ulong)seed));
    };

    [Test]
    public void TheSecondCallHitsTheCacheWithIdenticalValues()
    {
        var cache = new ReferenceStatisticsCache(_dir);
        var calls = new int[1];
        using var first = cache.GetOrCompute(Key, Features(calls));
        using var second = cache.GetOrCompute(Key, Features(calls));
        Assert.Multiple(() =>
        {
            Assert.That(calls[0], Is.EqualTo(1), "computed once");
            Assert.That(first.FromCache, Is.False);
            Assert.That(second.FromCache, Is.True);
            Assert.That(second.Features.data<float>().ToArray(), Is.EqualTo(first.Features.data<float>().ToArray()));
            Assert.That(second.Statistics.Mean.data<double>().ToArray(), Is.EqualTo(first.Statistics.Mean.data<double>().ToArray()));
            Assert.That(second.Statistics.Covariance.data<double>().ToArray(), Is.EqualTo(first.Statistics.Covariance.data<double>().ToArray()));
            Assert.That(second.Statistics.Count, Is.EqualTo(40));
            Assert.That(File.Exists(first.Path + ".json"), Is.True, "a readable key beside the data");
            Assert.That(File.ReadAllText(first.Path + ".json"), Does.Contain("\"weights\": \"sha256:def\""));
        });
    }

    [Test]
    public void ChangingAnyPartOfTheKeyMisses()
    {
        var cache = new ReferenceStatisticsCache(_dir);
        var calls = new int[1];
        cache.GetOrCompute(Key, Features(calls)).Dispose();
        var changed = new[]
        {
            Key with { ContentHash = "sha256:other" }, Key with { Split = "train" }, Key with { Count = 30 },
            Key with { ExtractorFingerprint = "sha256:retrained" }, Key with { ImageSize = 28 }, Key with { Extractor = "inception" },
        };
        foreach (var key in changed)
        {
            Assert.That(cache.PathFor(key), Is.Not.EqualTo(cache.PathFor(Key)), key.ToString());
            using var result = cache.GetOrCompute(key, Features(calls, key.Count));
            Assert.That(result.FromCache, Is.False, key.ToString());
        }
        Assert.That(calls[0], Is.EqualTo(1 + changed.Length));
    }

    [Test]
    public void ADamagedOrForeignFileIsRecomputed()
    {
        var cache = new ReferenceStatisticsCache(_dir);
        var calls = new int[1];
        cache.GetOrCompute(Key, Features(calls)).Dispose();
        string path = cache.PathFor(Key);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);   // truncated
        using (var again = cache.GetOrCompute(Key, Features(calls))) Assert.That(again.FromCache, Is.False);
        Assert.That(calls[0], Is.EqualTo(2));
        using (var hit = cache.GetOrCompute(Key, Features(calls))) Assert.That(hit.FromCache, Is.True, "rewritten whole");
    }

    [Test]
    public void TheDefaultFolderFollowsLddganCache()
    {
        string? before = Environment.GetEnvironmentVariable(ReferenceStatisticsCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ReferenceStatisticsCache.EnvironmentVariable, _dir);
            Assert.That(ReferenceStatisticsCache.DefaultFolder(), Is.EqualTo(Path.Combine(_dir, "eval")));
            Environment.SetEnvironmentVariable(ReferenceStatisticsCache.EnvironmentVariable, null);
            Assert.That(ReferenceStatisticsCache.DefaultFolder(), Is.EqualTo(Path.Combine(Directory.GetCurrentDirectory(), "runs", ".cache", "eval")));
        }
        finally { Environment.SetEnvironmentVariable(ReferenceStatisticsCache.EnvironmentVariable, before); }
    }
}
