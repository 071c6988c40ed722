using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>What an image file's header says: its size and whether it is grayscale (1 channel) or colour (3).</summary>
public readonly record struct ImageHeader(int Width, int Height, int Channels)
{
    public int ShortSide => Math.Min(Width, Height);
}

/// <summary>An image that cannot be read or decoded; <see cref="Exception.Message"/> says why, without the path.</summary>
public sealed class ImageDecodeException(string reason) : Exception(reason);

/// <summary>
/// Reads one image the way the official data loaders do (PIL through torchvision): converted to grayscale (ITU-R 601-2
/// luma, PIL's "L" integer formula) or RGB (alpha dropped, as PIL's convert("RGB")), resized so its short side is the
/// resolution (bilinear with antialiasing; long side truncated, as torchvision's Resize(int)) and centre-cropped
/// (torchvision's CenterCrop offsets). An image already at resolution × resolution keeps its exact bytes.
/// EXIF orientation is not applied, as PIL's Image.open does not.
/// </summary>
public static class ImageDecoding
{
    /// <summary>The header of <paramref name="path"/>, without decoding the pixels.</summary>
    public static ImageHeader Probe(string path)
    {
        using var stream = OpenRead(path);
        using var codec = SKCodec.Create(stream, out var result)
                          ?? throw new ImageDecodeException($"not a readable image (SkiaSharp: {result})");
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1) throw new ImageDecodeException($"has no pixels ({info.Width}×{info.Height})");
        return new ImageHeader(info.Width, info.Height, info.ColorType == SKColorType.Gray8 ? 1 : 3);
    }

    /// <summary>The image as <paramref name="channels"/> planes of resolution × resolution bytes (C, H, W).</summary>
    public static byte[] Decode(string path, int channels, int resolution)
    {
        using var stream = OpenRead(path);
        using var codec = SKCodec.Create(stream, out var created)
                          ?? throw new ImageDecodeException($"not a readable image (SkiaSharp: {created})");
        int w = codec.Info.Width, h = codec.Info.Height;
        bool gray = codec.Info.ColorType == SKColorType.Gray8;
        var info = gray ? new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque)
                        : new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(result == SKCodecResult.IncompleteInput
                ? "is truncated (the file ends before the image does)"
                : $"could not be decoded (SkiaSharp: {result})");
        var planes = ToPlanes(bitmap.GetPixelSpan(), bitmap.RowBytes, w, h, gray, channels);
        return w == resolution && h == resolution ? planes : ResizeAndCrop(planes, channels, w, h, resolution);
    }

    private static FileStream OpenRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ImageDecodeException($"cannot be read ({e.Message})"); }
    }

    /// <summary>Interleaved gray or RGBA rows to C planes, converting the channel count.</summary>
    private static byte[] ToPlanes(ReadOnlySpan<byte> pixels, int rowBytes, int w, int h, bool gray, int channels)
    {
        int plane = w * h;
        var planes = new byte[channels * plane];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int at = y * w + x;
            if (gray)
            {
                byte v = pixels[y * rowBytes + x];
                for (int c = 0; c < channels; c++) planes[c * plane + at] = v;
            }
            else
            {
                int p = y * rowBytes + 4 * x;
                byte r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
                if (channels == 1) planes[at] = (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
                else
                {
                    planes[at] = r;
                    planes[plane + at] = g;
                    planes[2 * plane + at] = b;
                }
            }
        }
        return planes;
    }

    /// <summary>The output size of torchvision's Resize(resolution): the short side becomes resolution, the long side is truncated.</summary>
    public static (int Width, int Height) ResizedSize(int w, int h, int resolution) =>
        w <= h ? (resolution, (int)((long)resolution * h / w)) : ((int)((long)resolution * w / h), resolution);

    private static byte[] ResizeAndCrop(byte[] planes, int channels, int w, int h, int resolution)
    {
        var (ow, oh) = ResizedSize(w, h, resolution);
        int top = (int)Math.Round((oh - resolution) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((ow - resolution) / 2.0, MidpointRounding.ToEven);
        using var scope = NewDisposeScope();
        var x = tensor(planes, [1, channels, h, w]).to(ScalarType.Float32);
        if (ow != w || oh != h)
            x = nn.functional.interpolate(x, [oh, ow], mode: InterpolationMode.Bilinear, align_corners: false,
                                          antialias: ow < w || oh < h);
        x = x.narrow(2, top, resolution).narrow(3, left, resolution);
        var bytes = x.round().clamp(0, 255).to(ScalarType.Byte).contiguous();
        return bytes.data<byte>().ToArray();
    }
}
