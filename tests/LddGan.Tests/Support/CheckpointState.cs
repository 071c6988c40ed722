using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LddGan.Tests.Support;

/// <summary>What a checkpoint holds, for comparing two runs that must end in the same state.</summary>
public static class CheckpointState
{
    /// <summary>
    /// SHA-256 of every entry (weights, EMA, optimisers, random streams, meta data) except the recipe text, with the
    /// meta data's wall-clock fields (<c>Created</c>, <c>TrainingSeconds</c>) left out: they are not training state.
    /// </summary>
    public static Dictionary<string, string> Hashes(string checkpoint)
    {
        using var zip = ZipFile.OpenRead(checkpoint);
        var hashes = new Dictionary<string, string>();
        foreach (var entry in zip.Entries.Where(e => e.FullName != "recipe.toml"))
        {
            using var stream = entry.Open();
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            byte[] data = bytes.ToArray();
            if (entry.FullName == "meta.json")
            {
                var meta = JsonNode.Parse(data)!.AsObject();
                meta.Remove("Created");
                meta.Remove("TrainingSeconds");
                data = JsonSerializer.SerializeToUtf8Bytes(meta);
            }
            hashes[entry.FullName] = Convert.ToHexString(SHA256.HashData(data));
        }
        return hashes;
    }
}
