using System.Text.Json;
using System.Text.Json.Serialization;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>An image left out of a prepared file, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);

/// <summary>
/// What a prepared image pack holds and where it came from: the source folder, its fingerprint when prepared (names,
/// sizes, times), the options that shaped the pixels, every packed file in order, the skipped ones, and the SHA-256 of
/// the packed pixels and labels. Stored as JSON at the end of the pack.
/// </summary>
public sealed record ImagePackManifest
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public string Source { get; init; } = "";
    public string SourceFingerprint { get; init; } = "";
    public int Resolution { get; init; }
    public int Channels { get; init; }
    public bool AllowUpscale { get; init; }
    public string Labels { get; init; } = ImageFolderOptions.NoLabels;
    public IReadOnlyList<string> ClassNames { get; init; } = [];
    public long Count { get; init; }
    public string ContentHash { get; init; } = "";
    public IReadOnlyList<ImageSource> Files { get; init; } = [];
    public IReadOnlyList<SkippedImage> Skipped { get; init; } = [];
    public DateTimeOffset Created { get; init; }
    public double PrepareSeconds { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static ImagePackManifest FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ImagePackManifest>(json, Json) ?? throw new JsonException("empty manifest");
}
