using LddGan.Abstractions;
using LddGan.Engine.Data;
using LddGan.Engine.Data.ImageFolder;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Tests.Support;
using NUnit.Framework;
using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Data;

/// <summary>
/// The image-folder dataset on folders written here: Fashion-MNIST exported as PNG reads back byte-identical and trains
/// to the IDX path's first-step losses; RGB images are resized and cropped as torchvision does; the prepared pack is
/// reused, re-prepared when the folder changes or the pack is damaged; every bad input is a clear message.
/// </summary>
public sealed class ImageFolderDatasetTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-imagefolder-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private string Cache => Path.Combine(_dir, "cache");

    private ImageFolderOptions Options(string folder, int resolution, int channels = 0) =>
        new() { Path = folder, Resolution = resolution, Channels = channels, RandomFlip = false, CacheDir = Cache };

    /// <summary>A PNG (or, by extension, JPEG) of one colour, <paramref name="width"/> × <paramref name="height"/>.</summary>
    private static void WriteSolid(string path, int width, int height, SKColor colour, bool gray = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var info = gray ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque) : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        bitmap.Erase(colour);
        var format = path.EndsWith(".jpg") ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        using var data = bitmap.Encode(format, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    [Test]
    public void ExportedFashionMnistReadsBackByteIdenticalAndTrainsToTheSameFirstStepLosses()
    {
        if (!FashionMnistDataset.IsInstalled(FashionMnistOptions.DefaultPath)) Assert.Ignore("Fashion-MNIST is not installed");
        using var idx = new FashionMnistDataset(new FashionMnistOptions { ImageSize = 28, Limit = 64 });
        string folder = Path.Combine(_dir, "png");
        Assert.That(ImageFolderExport.Write(idx, folder, 64, byClass: false), Is.EqualTo(64));

        using (var images = ImageFolderDataset.Open(Options(folder, 28)))
        {
            Assert.That(images.Shape, Is.EqualTo(new SampleShape(1, 28, 28)));
            long[] all = [.. Enumerable.Range(0, 64).Select(i => (long)i)];
            using var a = idx.GetBatch(all);
            using var b = images.GetBatch(all);
            Assert.That(b.equal(a).all().item<bool>(), Is.True, "the PNG round trip must keep every byte");
        }

        string Recipe(string data) => TestCatalog.TinyRecipe.Replace("type = \"test-blobs\"\n        count = 64", data).Replace("num_epochs = 3", "num_epochs = 1\nmax_steps = 1");
        double[] FirstLosses(string data, string name)
        {
            var recipe = new RecipeLoader(TestCatalog.Create()).Parse(Recipe(data), name + ".toml");
            using (var session = new TrainingSession(recipe, TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name) },
                                                     new TextTrainingObserver(TextWriter.Null)))
                session.Run();
            var line = System.Text.Json.JsonDocument.Parse(File.ReadLines(Path.Combine(_dir, name, "metrics.jsonl")).First()).RootElement;
            return [.. new[] { "loss_d_real", "loss_d_fake", "loss_g" }.Select(k => line.GetProperty(k).GetDouble())];
        }
        var fromIdx = FirstLosses("type = \"fashion-mnist\"\n        image_size = 28\n        limit = 64", "idx");
        var fromFolder = FirstLosses($"type = \"image-folder\"\n        path = \"{folder}\"\n        resolution = 28\n        random_flip = false\n        cache_dir = \"{Cache}\"", "folder");
        Assert.That(fromFolder, Is.EqualTo(fromIdx));
    }

    [Test]
    public void RgbImagesAreResizedOnTheShortSideCentreCroppedAndConverted()
    {
        string folder = Path.Combine(_dir, "rgb");
        WriteSolid(Path.Combine(folder, "a.png"), 48, 24, new SKColor(200, 100, 50));
        WriteSolid(Path.Combine(folder, "b.png"), 24, 40, new SKColor(10, 250, 128));
        using var rgb = ImageFolderDataset.Open(Options(folder, 16));
        Assert.That(rgb.Shape, Is.EqualTo(new SampleShape(3, 16, 16)));
        using var batch = rgb.GetBatch([0, 1]).add(1).mul(127.5).round();
        Assert.That(batch[0, .., 8, 8].data<float>().ToArray(), Is.EqualTo(new float[] { 200, 100, 50 }));
        Assert.That(batch[1, .., 3, 12].data<float>().ToArray(), Is.EqualTo(new float[] { 10, 250, 128 }));

        // PIL's "L": (r·19595 + g·38470 + b·7471 + 2¹⁵) >> 16.
        using var gray = ImageFolderDataset.Open(Options(folder, 16, channels: 1));
        using var g = gray.GetBatch([0]).add(1).mul(127.5).round();
        Assert.That(g[0, 0, 5, 5].item<float>(), Is.EqualTo((200 * 19595 + 100 * 38470 + 50 * 7471 + 0x8000) >> 16));

        // torchvision's Resize(int): the short side becomes the resolution, the long side is truncated.
        Assert.That(ImageDecoding.ResizedSize(48, 24, 16), Is.EqualTo((32, 16)));
        Assert.That(ImageDecoding.ResizedSize(24, 40, 16), Is.EqualTo((16, 26)));
        Assert.That(ImageDecoding.ResizedSize(33, 50, 32), Is.EqualTo((32, 48)));
    }

    [Test]
    public void LabelsComeFromSortedSubfolders()
    {
        string folder = Path.Combine(_dir, "labeled");
        WriteSolid(Path.Combine(folder, "zebra", "1.png"), 8, 8, SKColors.White, gray: true);
        WriteSolid(Path.Combine(folder, "ant", "2.png"), 8, 8, SKColors.Black, gray: true);
        WriteSolid(Path.Combine(folder, "ant", "1.png"), 8, 8, SKColors.Gray, gray: true);
        using var data = ImageFolderDataset.Open(Options(folder, 8) with { Labels = "subfolders" });
        var labeled = data as ILabeledDataset;
        Assert.That(labeled, Is.Not.Null);
        Assert.That(labeled!.ClassNames, Is.EqualTo(new[] { "ant", "zebra" }));
        using var labels = labeled.GetLabels([0, 1, 2]);
        Assert.That(labels.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 1 }));   // ant/1, ant/2, zebra/1
        Assert.That(data.Shape.Channels, Is.EqualTo(1));

        WriteSolid(Path.Combine(folder, "loose.png"), 8, 8, SKColors.White, gray: true);
        var e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(folder, 8) with { Labels = "subfolders" }))!;
        Assert.That(e.Message, Does.Contain("loose.png").And.Contain("subfolder"));
    }

    [Test]
    public void ThePreparedPackIsReusedAndPreparedAgainWhenTheFolderChangesOrThePackIsDamaged()
    {
        string folder = Path.Combine(_dir, "grow");
        for (int i = 0; i < 3; i++) WriteSolid(Path.Combine(folder, $"{i}.png"), 8, 8, new SKColor((byte)(i * 60), 0, 0));
        string pack;
        using (var first = ImageFolderDataset.Open(Options(folder, 8)))
        {
            pack = first.PackPath!;
            Assert.That(first.Notes[0], Does.Contain("prepared 3 images"));
        }
        File.WriteAllText(pack + ".tmp-999999", "left by a killed writer");
        using (var again = ImageFolderDataset.Open(Options(folder, 8)))
            Assert.That(again.Notes[0], Does.Contain("unchanged"));

        WriteSolid(Path.Combine(folder, "3.png"), 8, 8, SKColors.Blue);
        string hashBefore;
        using (var grown = ImageFolderDataset.Open(Options(folder, 8)))
        {
            Assert.That(grown.Notes[0], Does.Contain("changed since it was prepared (1 files added"));
            Assert.That(grown.Count, Is.EqualTo(4));
            hashBefore = grown.ContentHash;
        }
        Assert.That(File.Exists(pack + ".tmp-999999"), Is.False, "a dead writer's temporary is removed by the next write");

        using (var stream = new FileStream(pack, FileMode.Open)) stream.SetLength(stream.Length - 10);
        using (var repaired = ImageFolderDataset.Open(Options(folder, 8)))
        {
            Assert.That(repaired.Notes[0], Does.Contain("is damaged"));
            Assert.That(repaired.Count, Is.EqualTo(4));
            Assert.That(repaired.ContentHash, Is.EqualTo(hashBefore));
        }
    }

    [Test]
    public void WithoutTheCacheEachBatchIsDecodedFromTheFiles()
    {
        string folder = Path.Combine(_dir, "nocache");
        WriteSolid(Path.Combine(folder, "a.png"), 20, 10, new SKColor(1, 2, 3));
        WriteSolid(Path.Combine(folder, "b.png"), 10, 10, new SKColor(40, 50, 60));
        using var cached = ImageFolderDataset.Open(Options(folder, 10));
        using var direct = ImageFolderDataset.Open(Options(folder, 10) with { Cache = false });
        Assert.That(direct.PackPath, Is.Null);
        using var a = cached.GetBatch([1, 0]);
        using var b = direct.GetBatch([1, 0]);
        Assert.That(b.equal(a).all().item<bool>(), Is.True);
    }

    [Test]
    public void DamagedImagesAreSkippedAndListedOrAnErrorWhenStrict()
    {
        string folder = Path.Combine(_dir, "damaged");
        WriteSolid(Path.Combine(folder, "good.png"), 8, 8, SKColors.Red);
        File.WriteAllBytes(Path.Combine(folder, "garbage.png"), [1, 2, 3, 4, 5]);
        WriteSolid(Path.Combine(folder, "cut.jpg"), 64, 64, SKColors.Green);
        var bytes = File.ReadAllBytes(Path.Combine(folder, "cut.jpg"));
        File.WriteAllBytes(Path.Combine(folder, "cut.jpg"), bytes[..(bytes.Length / 2)]);

        using (var data = ImageFolderDataset.Open(Options(folder, 8)))
        {
            Assert.That(data.Count, Is.EqualTo(1));
            string notes = string.Join("\n", data.Notes);
            Assert.That(notes, Does.Contain("skipped 2 unreadable images").And.Contain("garbage.png").And.Contain("cut.jpg"));
        }
        var e = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(folder, 8) with { Strict = true, CacheDir = Path.Combine(_dir, "strict") }))!;
        Assert.That(e.Message, Does.Contain("garbage.png").Or.Contain("cut.jpg"));
        Assert.That(e.Message, Does.Contain("strict = false"));
        // A pack prepared with skips does not let a strict run through.
        var reused = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(folder, 8) with { Strict = true }))!;
        Assert.That(reused.Message, Does.Contain("garbage.png").Or.Contain("cut.jpg"));
    }

    [Test]
    public void BadFoldersAreClearErrors()
    {
        var missing = Assert.Throws<DatasetNotFoundException>(() => ImageFolderDataset.Open(Options(Path.Combine(_dir, "nope"), 8)))!;
        Assert.That(missing.Message, Does.Contain("does not exist").And.Contain("nope"));

        string empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        var none = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(empty, 8)))!;
        Assert.That(none.Message, Does.Contain("holds no images (1 other file").And.Contain(".png"));

        string mixed = Path.Combine(_dir, "mixed");
        WriteSolid(Path.Combine(mixed, "gray.png"), 8, 8, SKColors.Gray, gray: true);
        WriteSolid(Path.Combine(mixed, "colour.png"), 8, 8, SKColors.Red);
        var both = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(mixed, 8)))!;
        Assert.That(both.Message, Does.Contain("mixes grayscale and colour").And.Contain("gray.png").And.Contain("colour.png").And.Contain("channels = 1 or channels = 3"));
        using (var converted = ImageFolderDataset.Open(Options(mixed, 8, channels: 3)))
            Assert.That(converted.Shape.Channels, Is.EqualTo(3));

        var small = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(Options(mixed, 32, channels: 3)))!;
        Assert.That(small.Message, Does.Contain("resolution = 32 is larger than 2").And.Contain("8×8").And.Contain("allow_upscale"));
        using (var upscaled = ImageFolderDataset.Open(Options(mixed, 32, channels: 3) with { AllowUpscale = true }))
            Assert.That(upscaled.Shape, Is.EqualTo(new SampleShape(3, 32, 32)));
    }
}
