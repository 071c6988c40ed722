using LddGan.Engine.Runtime;
using System.Security.Cryptography;
using System.Text;

namespace LddGan.Evaluation;

/// <summary>
/// Identifies a set of cached real-data features: the dataset and its content hash
/// (<see cref="LddGan.Abstractions.IContentHashedDataset.ContentHash"/>, which changes with the samples, wherever the
/// files live), the split, the image size, how many images (the first <see cref="Count"/>, unflipped), and the
/// extractor with the fingerprint of its weights.
/// </summary>
public sealed record ReferenceKey(string Dataset, string ContentHash, string Split, int ImageSize, long Count, string Extractor, string ExtractorFingerprint)
{
    /// <summary>Every field, one per line: what is hashed, and what a cache file stores to check it was not a hash clash.</summary>
    public string Canonical =>
        $"dataset={Dataset}\ncontent={ContentHash}\nsplit={Split}\nimage_size={ImageSize}\ncount={Count}\nfeatures={Extractor}\nweights={ExtractorFingerprint}\n";

    /// <summary>First 16 hex digits of the SHA-256 of <see cref="Canonical"/>.</summary>
    public string Hash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..16].ToLowerInvariant();

    public string FileName => $"{CacheFolders.SafeName(Dataset)}-{CacheFolders.SafeName(Split)}-{CacheFolders.SafeName(Extractor)}-n{Count}-{Hash}.ref";

}
