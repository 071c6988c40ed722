using System.Security.Cryptography;
using System.Text;

namespace LddGan.Evaluation;

/// <summary>
/// Identifies a set of cached real-data features: the dataset and the SHA-256 of its image file's bytes (so a changed or
/// replaced file is noticed, wherever it lives), the split, the image size, how many images (the first
/// <see cref="Count"/> in file order, unflipped), and the extractor with the fingerprint of its weights.
/// </summary>
public sealed record ReferenceKey(string Dataset, string DataHash, string Split, int ImageSize, long Count, string Extractor, string ExtractorFingerprint)
{
    /// <summary>Every field, one per line: what is hashed, and what a cache file stores to check it was not a hash clash.</summary>
    public string Canonical =>
        $"dataset={Dataset}\ndata={DataHash}\nsplit={Split}\nimage_size={ImageSize}\ncount={Count}\nfeatures={Extractor}\nweights={ExtractorFingerprint}\n";

    /// <summary>First 16 hex digits of the SHA-256 of <see cref="Canonical"/>.</summary>
    public string Hash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..16].ToLowerInvariant();

    public string FileName => $"{Safe(Dataset)}-{Safe(Split)}-{Safe(Extractor)}-n{Count}-{Hash}.ref";

    /// <summary>The SHA-256 of a file's bytes, as "sha256:&lt;hex&gt;".</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static string Safe(string s) => new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
