using LddGan.Engine.Imaging;
using NUnit.Framework;
using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Imaging;

public sealed class ImageGridTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "lddgan-png-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void RgbGridHasMakeGridLayoutAndDecodesBack()
    {
        using var scope = NewDisposeScope();
        // 5 tiles of 4×6, 3 columns → 2 rows; tile k is solid (r, g, b) = (k/4·2−1, −1, 1 − k/4·2) except pixel (1, 2) of tile 0.
        var images = zeros([5, 3, 4, 6]);
        for (int k = 0; k < 5; k++)
        {
            images[k, 0] = k / 4f * 2 - 1;
            images[k, 1] = -1f;
            images[k, 2] = 1 - k / 4f * 2;
        }
        images[0, 0, 1, 2] = 5f;   // clamped to 1 → 255
        images[0, 1, 1, 2] = 0f;   // 0 → 128
        string path = Path.Combine(_dir, "sub", "grid.png");
        ImageGrid.SavePng(images, path, columns: 3);

        Assert.That(File.Exists(path), Is.True);
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "no temporary file is left behind");
        using var bitmap = SKBitmap.Decode(path);
        Assert.That(bitmap, Is.Not.Null);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((3 * (6 + 2) + 2, 2 * (4 + 2) + 2)));
        Assert.That(ImageGrid.GridSize(5, 4, 6, 3), Is.EqualTo((26, 14)));

        // Padding is black.
        Assert.That(bitmap.GetPixel(0, 0), Is.EqualTo(new SKColor(0, 0, 0)));
        Assert.That(bitmap.GetPixel(8, 3), Is.EqualTo(new SKColor(0, 0, 0)));
        // Tile 0 at (2, 2): (−1, −1, 1) → (0, 0, 255).
        Assert.That(bitmap.GetPixel(2, 2), Is.EqualTo(new SKColor(0, 0, 255)));
        // Its modified pixel (row 1, col 2) → x = 2 + 2, y = 2 + 1.
        Assert.That(bitmap.GetPixel(4, 3), Is.EqualTo(new SKColor(255, 128, 255)));
        // Tile 2 (row 0, column 2) starts at x = 2 + 2·8 = 18: r = 0 → 128, b = 0 → 128.
        Assert.That(bitmap.GetPixel(18 + 5, 2 + 3), Is.EqualTo(new SKColor(128, 0, 128)));
        // Tile 4 (row 1, column 1) starts at (10, 8): (1, −1, −1) → (255, 0, 0).
        Assert.That(bitmap.GetPixel(10, 8), Is.EqualTo(new SKColor(255, 0, 0)));
        // The empty sixth cell stays black.
        Assert.That(bitmap.GetPixel(18 + 2, 8 + 2), Is.EqualTo(new SKColor(0, 0, 0)));
    }

    [Test]
    public void GrayscaleIsWrittenAsEqualChannelsAndOverwritesAtomically()
    {
        using var scope = NewDisposeScope();
        var images = linspace(-1, 1, 4 * 3 * 3).reshape(4, 1, 3, 3);
        string path = Path.Combine(_dir, "gray.png");
        File.WriteAllText(path, "old content");
        ImageGrid.SavePng(images, path);   // default: ⌈√4⌉ = 2 columns

        using var bitmap = SKBitmap.Decode(path);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((2 * 5 + 2, 2 * 5 + 2)));
        Assert.That(bitmap.GetPixel(2, 2), Is.EqualTo(new SKColor(0, 0, 0)), "first value −1 → 0");
        // Last tile (row 1, column 1) at (7, 7); its last pixel (2, 2) is +1 → 255.
        Assert.That(bitmap.GetPixel(9, 9), Is.EqualTo(new SKColor(255, 255, 255)));
        var mid = bitmap.GetPixel(7 + 1, 2);   // tile 1, pixel (0, 1): value index 10 of 36
        double expected = Math.Floor(((-1 + 2.0 * 10 / 35) + 1) / 2 * 255 + 0.5);
        Assert.That(mid.Red, Is.EqualTo((byte)expected));
        Assert.That(mid.Green, Is.EqualTo(mid.Red));
        Assert.That(mid.Blue, Is.EqualTo(mid.Red));
    }

    [Test]
    public void WrongShapesAreRejected()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(_dir, "x.png");
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(zeros([2, 2, 4, 4]), path));
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(zeros([3, 4, 4]), path));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.SavePng(zeros([2, 1, 4, 4]), path, columns: 0));
        Assert.That(File.Exists(path), Is.False);
    }
}

public sealed class ScatterPlotTests
{
    [Test]
    public void PointsAndModesAreDrawnWhereTheyBelong()
    {
        using var scope = NewDisposeScope();
        // A cluster of points at (0.75, 0.75) and a reference mode at (−0.75, −0.75); extent 1.5, 300 px.
        var points = full([200, 2], 0.75f);
        string path = Path.Combine(Path.GetTempPath(), $"lddgan-scatter-{Guid.NewGuid():N}.png");
        try
        {
            ScatterPlot.SavePng(points, path, [(-0.75, -0.75)], size: 300);
            using var bitmap = SKBitmap.Decode(path);
            Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((300, 300)));
            // (0.75, 0.75) → pixel (225, 75) (y up): blue-ish, not white.
            var p = bitmap.GetPixel(225, 75);
            Assert.That(p.Blue, Is.GreaterThan(p.Red));
            Assert.That(p, Is.Not.EqualTo(SKColors.White));
            // The ring around (−0.75, −0.75) → pixel (75, 225), radius max(4, 300/90) = 4 px: red at its edge, white at its centre.
            var ring = bitmap.GetPixel(75 + 4, 225);
            Assert.That(ring.Red, Is.GreaterThan(150));
            Assert.That(ring.Green, Is.LessThan(150));
            Assert.That(bitmap.GetPixel(75, 225), Is.EqualTo(SKColors.White));
            // A corner far from everything is white.
            Assert.That(bitmap.GetPixel(40, 40), Is.EqualTo(SKColors.White));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void RejectsNonPointTensors()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => ScatterPlot.EncodePng(zeros([10, 3])));
    }
}
