using LddGan.Engine.Data;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Data;

/// <summary>The CIFAR-10 reader on small files written in the official binary layout (label byte, then R, G, B planes).</summary>
public sealed class Cifar10DatasetTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-cifar-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>A batch file of <paramref name="count"/> records; record i has label i % 10 and pixel value (i + channel·50 + x) % 256 at column x.</summary>
    private static void WriteBatch(string path, int count, int first)
    {
        var bytes = new byte[count * 3073];
        for (int r = 0; r < count; r++)
        {
            int i = first + r;
            bytes[r * 3073] = (byte)(i % 10);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        bytes[r * 3073 + 1 + c * 1024 + y * 32 + x] = (byte)((i + c * 50 + x) % 256);
        }
        File.WriteAllBytes(path, bytes);
    }

    private void WriteAll(string folder, int perBatch = 3)
    {
        Directory.CreateDirectory(folder);
        for (int b = 1; b <= 5; b++) WriteBatch(Path.Combine(folder, $"data_batch_{b}.bin"), perBatch, (b - 1) * perBatch);
        WriteBatch(Path.Combine(folder, "test_batch.bin"), 2, 100);
    }

    [Test]
    public void ReadsBothSplitsInTheOfficialLayout()
    {
        WriteAll(Path.Combine(_dir, "cifar-10-batches-bin"));
        using var train = new Cifar10Dataset(new Cifar10Options { Path = _dir, RandomFlip = false });
        using var test = new Cifar10Dataset(new Cifar10Options { Path = _dir, Split = "test", RandomFlip = false });
        Assert.That(train.Count, Is.EqualTo(15));
        Assert.That(test.Count, Is.EqualTo(2));
        Assert.That(train.Labels.ToArray(), Is.EqualTo(Enumerable.Range(0, 15).Select(i => (byte)(i % 10))));
        using var batch = train.GetBatch([7, 0]);
        Assert.That(batch.shape, Is.EqualTo(new long[] { 2, 3, 32, 32 }));
        // Record 7, green plane (c = 1), column 5: (7 + 50 + 5) = 62 → 62/127.5 − 1.
        Assert.That(batch[0, 1, 9, 5].item<float>(), Is.EqualTo(62 / 127.5f - 1).Within(1e-6));
        Assert.That(batch[1, 2, 0, 31].item<float>(), Is.EqualTo((0 + 100 + 31) / 127.5f - 1).Within(1e-6));
    }

    [Test]
    public void FlipsWithTheAugmentationGenerator()
    {
        WriteAll(_dir);
        using var data = new Cifar10Dataset(new Cifar10Options { Path = _dir, RandomFlip = true });
        using var plain = new Cifar10Dataset(new Cifar10Options { Path = _dir, RandomFlip = false });
        var indices = Enumerable.Range(0, 15).Select(i => (long)i).ToArray();
        using var generator = new Generator(3);
        using var flipped = data.GetBatch(indices, generator);
        using var original = plain.GetBatch(indices);
        long same = 0, mirrored = 0;
        for (int i = 0; i < 15; i++)
        {
            if (flipped[i].equal(original[i]).all().item<bool>()) same++;
            else if (flipped[i].equal(original[i].flip(2)).all().item<bool>()) mirrored++;
        }
        Assert.That(same + mirrored, Is.EqualTo(15));
        Assert.That(same, Is.GreaterThan(0));
        Assert.That(mirrored, Is.GreaterThan(0));
    }

    [Test]
    public void AMissingOrDamagedFileIsNamed()
    {
        var missing = Assert.Throws<DatasetNotFoundException>(() => new Cifar10Dataset(new Cifar10Options { Path = _dir }))!;
        Assert.That(missing.Message, Does.Contain("data_batch_1.bin").And.Contain("cifar-10-binary.tar.gz"));

        WriteAll(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "data_batch_3.bin"), new byte[3073 * 2 + 5]);
        var damaged = Assert.Throws<DatasetException>(() => new Cifar10Dataset(new Cifar10Options { Path = _dir }))!;
        Assert.That(damaged.Message, Does.Contain("data_batch_3.bin").And.Contain("3,073"));
    }
}
