using LddGan.Abstractions;
using LddGan.Engine.Data;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Data;

public sealed class FashionMnistDatasetTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "lddgan-fmnist-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A miniature split: image i has pixel (r, c) = (i·40 + r·28 + c) mod 256 — asymmetric, so flips are visible.</summary>
    private void WriteSplit(string prefix, int n, bool gzip)
    {
        var pixels = new byte[n * 28 * 28];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < 784; p++) pixels[i * 784 + p] = (byte)((i * 40 + p) % 256);
        string ext = gzip ? ".gz" : "";
        IdxFile.Write(Path.Combine(_dir, $"{prefix}-images-idx3-ubyte{ext}"), [n, 28, 28], pixels, gzip);
        IdxFile.Write(Path.Combine(_dir, $"{prefix}-labels-idx1-ubyte{ext}"), [n], Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), gzip);
    }

    private static float Pixel(Tensor batch, long b, long r, long c) => batch[b, 0, r, c].item<float>();

    [Test]
    public void MissingFolderGivesTheInstallCommandAndTheRecipeKey()
    {
        string folder = Path.Combine(_dir, "absent");
        var e = Assert.Throws<DatasetNotFoundException>(() => new FashionMnistDataset(new FashionMnistOptions { Path = folder }))!;
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "train-images-idx3-ubyte.gz")));
        Assert.That(e.Message, Does.Contain("sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist"));
        Assert.That(e.Message, Does.Contain("path under [data]"));
        Assert.That(e.Message, Does.Contain("does not exist"));
        Assert.That(FashionMnistDataset.IsInstalled(folder), Is.False);
    }

    [Test]
    public void MissingLabelsFileIsNamed()
    {
        WriteSplit("t10k", 3, gzip: true);
        File.Delete(Path.Combine(_dir, "t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DatasetNotFoundException>(() => new FashionMnistDataset(new FashionMnistOptions { Path = _dir, Split = "test" }))!;
        Assert.That(e.Message, Does.Contain("t10k-labels-idx1-ubyte.gz"));
        Assert.That(e.Message, Does.Not.Contain("does not exist"));
    }

    [Test]
    public void BatchIsScaledPaddedAndGathered()
    {
        WriteSplit("train", 5, gzip: true);
        WriteSplit("t10k", 2, gzip: false);
        Assert.That(FashionMnistDataset.IsInstalled(_dir), Is.True);
        using var data = new FashionMnistDataset(new FashionMnistOptions { Path = _dir });
        Assert.That(data.Count, Is.EqualTo(5));
        Assert.That(data.Shape, Is.EqualTo(new SampleShape(1, 32, 32)));
        Assert.That(data.Labels.ToArray(), Is.EqualTo(new byte[] { 0, 1, 2, 3, 4 }));

        using var scope = NewDisposeScope();
        var batch = data.GetBatch([3, 0]);
        Assert.That(batch.shape, Is.EqualTo(new long[] { 2, 1, 32, 32 }));
        Assert.That(batch.dtype, Is.EqualTo(ScalarType.Float32));
        // Padding is background: −1.
        Assert.That(Pixel(batch, 0, 0, 0), Is.EqualTo(-1f));
        Assert.That(Pixel(batch, 1, 31, 17), Is.EqualTo(-1f));
        Assert.That(Pixel(batch, 0, 1, 30), Is.EqualTo(-1f));
        // Image 3, source pixel (r, c) = (0, 0) sits at (2, 2): value (120 + 0) → 120/127.5 − 1.
        Assert.That(Pixel(batch, 0, 2, 2), Is.EqualTo(120 / 127.5f - 1f).Within(1e-6));
        // Image 0, source pixel (5, 9) → value (5·28 + 9) mod 256 = 149.
        Assert.That(Pixel(batch, 1, 7, 11), Is.EqualTo(149 / 127.5f - 1f).Within(1e-6));
        Assert.That(batch.max().item<float>(), Is.LessThanOrEqualTo(1f));
        Assert.That(batch.min().item<float>(), Is.GreaterThanOrEqualTo(-1f));

        using var labels = data.GetLabels([3, 0]);
        Assert.That(labels.data<long>().ToArray(), Is.EqualTo(new long[] { 3, 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([5]));
    }

    [Test]
    public void NativeSizeAndResizeAndLimit()
    {
        WriteSplit("t10k", 4, gzip: false);
        using var native = new FashionMnistDataset(new FashionMnistOptions { Path = _dir, Split = "test", ImageSize = 28, Limit = 2 });
        Assert.That(native.Count, Is.EqualTo(2));
        using (var b = native.GetBatch([1]))
        {
            Assert.That(b.shape, Is.EqualTo(new long[] { 1, 1, 28, 28 }));
            Assert.That(Pixel(b, 0, 0, 0), Is.EqualTo(40 / 127.5f - 1f).Within(1e-6));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => native.GetBatch([2]));

        using var small = new FashionMnistDataset(new FashionMnistOptions { Path = _dir, Split = "test", ImageSize = 14 });
        using var s = small.GetBatch([0, 1, 2]);
        Assert.That(s.shape, Is.EqualTo(new long[] { 3, 1, 14, 14 }));
        Assert.That(s.min().item<float>(), Is.GreaterThanOrEqualTo(-1f));
        Assert.That(s.max().item<float>(), Is.LessThanOrEqualTo(1f));
    }

    [Test]
    public void RandomFlipIsPerSampleAndFollowsTheGenerator()
    {
        WriteSplit("train", 1, gzip: true);
        using var data = new FashionMnistDataset(new FashionMnistOptions { Path = _dir, RandomFlip = true });
        using var plain = new FashionMnistDataset(new FashionMnistOptions { Path = _dir });
        using var scope = NewDisposeScope();
        var reference = plain.GetBatch([0]);
        var mirrored = reference.flip(3);
        long[] indices = Enumerable.Repeat(0L, 64).ToArray();
        var batch = data.GetBatch(indices, new Generator(5));
        int flipped = 0;
        for (int i = 0; i < 64; i++)
        {
            var sample = batch[i].unsqueeze(0);
            bool isPlain = sample.eq(reference).all().item<bool>();
            bool isMirror = sample.eq(mirrored).all().item<bool>();
            Assert.That(isPlain ^ isMirror, Is.True, $"sample {i} is either unchanged or mirrored");
            if (isMirror) flipped++;
        }
        Assert.That(flipped, Is.InRange(16, 48), "about half are flipped");
        var again = data.GetBatch(indices, new Generator(5));
        Assert.That(again.eq(batch).all().item<bool>(), Is.True, "same generator seed, same flips");
    }

    [Test]
    public void InvalidOptionsNameTheirKeys()
    {
        var errors = new FashionMnistOptions { Split = "validation", ImageSize = 2, Limit = -1 }.Validate().ToList();
        Assert.That(errors, Has.Count.EqualTo(3));
        Assert.That(errors[0], Does.StartWith("split"));
        Assert.That(errors[1], Does.StartWith("image_size"));
        Assert.That(errors[2], Does.StartWith("limit"));
        Assert.Throws<ArgumentException>(() => new FashionMnistDataset(new FashionMnistOptions { Split = "validation" }));
    }

    [Test]
    public void MismatchedImageAndLabelCountsAreReported()
    {
        WriteSplit("train", 3, gzip: false);
        IdxFile.Write(Path.Combine(_dir, "train-labels-idx1-ubyte"), [2], [1, 2], gzip: false);
        var e = Assert.Throws<IdxFormatException>(() => new FashionMnistDataset(new FashionMnistOptions { Path = _dir }))!;
        Assert.That(e.Message, Does.Contain("holds 2 labels but train-images-idx3-ubyte holds 3 images"));
    }
}

/// <summary>Checks on the installed Fashion-MNIST files; ignored where the Debian package is not installed.</summary>
public sealed class FashionMnistInstalledTests
{
    private static string RequireInstalled()
    {
        string path = FashionMnistOptions.DefaultPath;
        if (!FashionMnistDataset.IsInstalled(path))
            Assert.Ignore($"Fashion-MNIST is not installed in {path}; install it with: {FashionMnistDataset.InstallCommand}");
        return path;
    }

    [Test]
    public void TrainAndTestSplitsHaveTheirPublishedSizes()
    {
        string path = RequireInstalled();
        using var train = new FashionMnistDataset(new FashionMnistOptions { Path = path, Split = "train" });
        using var test = new FashionMnistDataset(new FashionMnistOptions { Path = path, Split = "test" });
        Assert.That(train.Count, Is.EqualTo(60000));
        Assert.That(test.Count, Is.EqualTo(10000));
        Assert.That(train.NativeSize, Is.EqualTo((28, 28)));
        Assert.That(train.Labels.Span[0], Is.EqualTo(9), "the first training image is an ankle boot");
        Assert.That(test.Labels.Span[0], Is.EqualTo(9));
        // Balanced classes: 6,000 per class in train.
        var counts = new int[10];
        foreach (byte l in train.Labels.Span) counts[l]++;
        Assert.That(counts, Is.All.EqualTo(6000));

        using var scope = NewDisposeScope();
        var batch = train.GetBatch([0, 1, 59999]);
        Assert.That(batch.shape, Is.EqualTo(new long[] { 3, 1, 32, 32 }));
        Assert.That(batch.min().item<float>(), Is.EqualTo(-1f));
        Assert.That(batch.max().item<float>(), Is.LessThanOrEqualTo(1f).And.GreaterThan(0.5f));
        Assert.That(batch[.., .., 0].eq(-1f).all().item<bool>(), Is.True, "top padding row is background");
    }
}
