using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// Reads a name → tensor dictionary from a weight file a user supplies, by its format: safetensors (<c>.safetensors</c>)
/// or a <c>torch.save</c> zip checkpoint (<c>.pth</c>, <c>.pt</c>, <c>.ckpt</c>, <c>.bin</c>; read by
/// <see cref="TorchCheckpointReader"/>, which never runs code). The caller owns the tensors.
/// </summary>
public static class StateDictFile
{
    public static Dictionary<string, Tensor> Read(string path, string? entry = null)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"no weight file at {full}", full);
        if (full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var content = SafetensorsFile.Read(full);
            return content.Tensors.Keys.ToList().ToDictionary(name => name, content.Detach);
        }
        return new Dictionary<string, Tensor>(TorchCheckpointReader.ReadStateDict(full, entry));
    }
}
