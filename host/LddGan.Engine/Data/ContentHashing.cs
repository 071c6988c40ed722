using System.Security.Cryptography;
using System.Text;

namespace LddGan.Engine.Data;

/// <summary>The "sha256:…" texts datasets give as their <see cref="LddGan.Abstractions.IContentHashedDataset.ContentHash"/>.</summary>
public static class ContentHashing
{
    /// <summary>The SHA-256 of a file's bytes.</summary>
    public static string File(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        return "sha256:" + Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>One hash of several parts (each hashed with its length, so parts cannot run into each other).</summary>
    public static string Of(params string[] parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        return "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
