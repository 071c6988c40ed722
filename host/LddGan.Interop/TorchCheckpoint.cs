using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// A loaded <c>torch.save</c> checkpoint: the pickled object tree (<see cref="Root"/>) whose tensors are CPU tensors
/// owned by this object. Disposing disposes every tensor; to keep some, use
/// <see cref="TorchCheckpointReader.ReadStateDict(string, string?, TorchCheckpointLimits?)"/> or <see cref="Release"/>.
/// </summary>
public sealed class TorchCheckpoint : IDisposable
{
    private readonly List<Tensor> _tensors;

    internal TorchCheckpoint(string path, PickleValue root, List<Tensor> tensors)
    {
        Path = path;
        Root = root;
        _tensors = tensors;
    }

    public string Path { get; }
    public PickleValue Root { get; }

    /// <summary>Every tensor in the tree (views sharing a storage appear once each).</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <summary>Hands <paramref name="keep"/> to the caller (they are no longer disposed with this checkpoint).</summary>
    public void Release(IEnumerable<Tensor> keep)
    {
        var kept = new HashSet<Tensor>(keep, ReferenceEqualityComparer.Instance);
        _tensors.RemoveAll(kept.Contains);
    }

    public void Dispose()
    {
        foreach (var tensor in _tensors) tensor.Dispose();
        _tensors.Clear();
    }
}
