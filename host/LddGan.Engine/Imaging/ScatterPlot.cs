using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Imaging;

/// <summary>
/// Saves 2-D points (N, 2) as a square PNG scatter plot over [−extent, extent]² (y up), with optional reference modes
/// drawn as red rings — for the 25-Gaussians toy. Points outside the window are not drawn.
/// </summary>
public static class ScatterPlot
{
    public const int DefaultSize = 512;
    public const double DefaultExtent = 1.5;

    public static readonly SKColor PointColor = new(31, 119, 180, 140);
    public static readonly SKColor ModeColor = new(214, 39, 40);

    /// <summary>Writes the plot to <paramref name="path"/> atomically.</summary>
    public static void SavePng(Tensor points, string path, IReadOnlyList<(double X, double Y)>? referenceModes = null,
                               int size = DefaultSize, double extent = DefaultExtent) =>
        AtomicFile.WriteAllBytes(path, EncodePng(points, referenceModes, size, extent));

    /// <summary>The PNG bytes of the plot.</summary>
    public static byte[] EncodePng(Tensor points, IReadOnlyList<(double X, double Y)>? referenceModes = null,
                                   int size = DefaultSize, double extent = DefaultExtent)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.dim() != 2 || points.shape[1] != 2)
            throw new ArgumentException($"expected points of shape (N, 2), got [{string.Join(", ", points.shape)}].", nameof(points));
        if (size < 16 || size > 8192) throw new ArgumentOutOfRangeException(nameof(size), size, "the plot side must be 16..8192 px.");
        if (!(extent > 0) || double.IsInfinity(extent)) throw new ArgumentOutOfRangeException(nameof(extent), extent, "the extent must be positive.");

        float[] xy;
        using (var cpu = points.detach().to(ScalarType.Float32, CPU).contiguous()) xy = cpu.data<float>().ToArray();

        float ToPixelX(double x) => (float)((x + extent) / (2 * extent) * size);
        float ToPixelY(double y) => (float)((extent - y) / (2 * extent) * size);

        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("SkiaSharp could not create a drawing surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var axes = new SKPaint { Color = new SKColor(200, 200, 200), StrokeWidth = 1, IsAntialias = false, Style = SKPaintStyle.Stroke })
        {
            canvas.DrawLine(ToPixelX(0), 0, ToPixelX(0), size, axes);
            canvas.DrawLine(0, ToPixelY(0), size, ToPixelY(0), axes);
            canvas.DrawRect(0, 0, size - 1, size - 1, axes);
        }

        var inside = new List<SKPoint>(xy.Length / 2);
        for (int i = 0; i + 1 < xy.Length; i += 2)
        {
            float x = xy[i], y = xy[i + 1];
            if (float.IsFinite(x) && float.IsFinite(y) && Math.Abs(x) <= extent && Math.Abs(y) <= extent)
                inside.Add(new SKPoint(ToPixelX(x), ToPixelY(y)));
        }
        float dot = Math.Max(2f, size / 256f);
        using (var paint = new SKPaint { Color = PointColor, StrokeWidth = dot, StrokeCap = SKStrokeCap.Round, IsAntialias = true })
            canvas.DrawPoints(SKPointMode.Points, inside.ToArray(), paint);

        if (referenceModes is not null)
        {
            using var ring = new SKPaint { Color = ModeColor, StrokeWidth = Math.Max(1.5f, size / 340f), IsAntialias = true, Style = SKPaintStyle.Stroke };
            float radius = Math.Max(4f, size / 90f);
            foreach (var (mx, my) in referenceModes) canvas.DrawCircle(ToPixelX(mx), ToPixelY(my), radius, ring);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the plot as PNG.");
        return data.ToArray();
    }
}
