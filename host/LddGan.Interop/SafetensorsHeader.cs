using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>One tensor entry of a safetensors header. <see cref="Begin"/>/<see cref="End"/> are byte offsets into the data section.</summary>
public sealed record SafetensorsTensorInfo(string Name, string DTypeName, ScalarType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// A parsed and validated safetensors header: the tensors in header order, the free-form string metadata, and where the
/// data section starts in the file.
/// </summary>
public sealed record SafetensorsHeader(
    IReadOnlyList<SafetensorsTensorInfo> Tensors,
    IReadOnlyDictionary<string, string> Metadata,
    long DataStart,
    long DataLength);

/// <summary>
/// The tensors of a safetensors file (CPU, contiguous, in header order) and its metadata. Disposing disposes the
/// tensors; take a tensor out with <see cref="Detach"/> to keep it.
/// </summary>
public sealed class SafetensorsContent(OrderedDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata) : IDisposable
{
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>Removes a tensor from this content and hands its ownership to the caller.</summary>
    public Tensor Detach(string name)
    {
        if (!tensors.Remove(name, out var tensor))
            throw new KeyNotFoundException($"no tensor named '{name}' (have: {string.Join(", ", tensors.Keys)})");
        return tensor;
    }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
        tensors.Clear();
    }
}
