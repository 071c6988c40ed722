using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Imaging;

/// <summary>
/// Saves a batch of images (B, C, H, W) in [−1, 1] (C = 1 grayscale or 3 RGB) as one PNG grid, laid out like
/// torchvision's <c>make_grid</c>: <see cref="Padding"/> px of black between and around the tiles, row-major.
/// Values are clamped to [−1, 1] and quantised as <c>save_image</c> does (round((x+1)/2·255)).
/// </summary>
public static class ImageGrid
{
    public const int Padding = 2;

    /// <summary>Writes the grid to <paramref name="path"/> atomically. <paramref name="columns"/> defaults to ⌈√B⌉.</summary>
    public static void SavePng(Tensor images, string path, int? columns = null) =>
        AtomicFile.WriteAllBytes(path, EncodePng(images, columns));

    /// <summary>The PNG bytes of the grid.</summary>
    public static byte[] EncodePng(Tensor images, int? columns = null)
    {
        var (rgba, width, height) = Render(images, columns);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, rgba, width * 4)
            ?? throw new InvalidOperationException("SkiaSharp could not create an image from the grid pixels.");
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the grid as PNG.");
        return data.ToArray();
    }

    /// <summary>Pixel size (width, height) of the grid for <paramref name="count"/> tiles of <paramref name="tileHeight"/>×<paramref name="tileWidth"/>.</summary>
    public static (int Width, int Height) GridSize(int count, int tileHeight, int tileWidth, int? columns = null)
    {
        int xmaps = Math.Min(Columns(count, columns), count);
        int ymaps = (count + xmaps - 1) / xmaps;
        return (xmaps * (tileWidth + Padding) + Padding, ymaps * (tileHeight + Padding) + Padding);
    }

    private static int Columns(int count, int? columns)
    {
        if (columns is int c)
            return c >= 1 ? c : throw new ArgumentOutOfRangeException(nameof(columns), c, "a grid needs at least one column.");
        return Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));
    }

    private static (byte[] Rgba, int Width, int Height) Render(Tensor images, int? columns)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || (images.shape[1] != 1 && images.shape[1] != 3) || images.shape[0] < 1)
            throw new ArgumentException($"expected images of shape (B, 1 or 3, H, W) with B ≥ 1, got [{string.Join(", ", images.shape)}].", nameof(images));
        int b = (int)images.shape[0], c = (int)images.shape[1], h = (int)images.shape[2], w = (int)images.shape[3];
        byte[] pixels;
        using (var scope = NewDisposeScope())
        {
            var x = images.detach().to(ScalarType.Float32, CPU).clamp(-1.0, 1.0);
            var quantised = ((x + 1.0) * 0.5 * 255.0 + 0.5).clamp(0.0, 255.0).to(ScalarType.Byte).contiguous();
            pixels = quantised.data<byte>().ToArray();
        }

        int xmaps = Math.Min(Columns(b, columns), b);
        var (width, height) = GridSize(b, h, w, columns);
        var rgba = new byte[width * height * 4];
        for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255; // opaque black background
        int plane = h * w;
        for (int k = 0; k < b; k++)
        {
            int top = k / xmaps * (h + Padding) + Padding, left = k % xmaps * (w + Padding) + Padding;
            int tile = k * c * plane;
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                {
                    int o = ((top + y) * width + left + xx) * 4, p = tile + y * w + xx;
                    byte r = pixels[p];
                    rgba[o] = r;
                    rgba[o + 1] = c == 3 ? pixels[p + plane] : r;
                    rgba[o + 2] = c == 3 ? pixels[p + 2 * plane] : r;
                }
        }
        return (rgba, width, height);
    }
}
