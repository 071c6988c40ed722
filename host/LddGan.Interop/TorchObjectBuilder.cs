using System.Text;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// Gives the allow-listed globals their meaning, in our code: OrderedDict and argparse.Namespace become
/// <see cref="PickleDict"/>s, <c>_rebuild_tensor_v2</c>/<c>_rebuild_parameter</c> become strided views of a loaded
/// storage, <c>_codecs.encode(str, 'latin1')</c> becomes bytes, <c>torch.device</c> becomes its string.
/// </summary>
internal sealed class TorchObjectBuilder(string source, TorchCheckpointLimits limits, Func<string, ScalarType, long, Tensor> loadStorage) : IPickleInterpreter
{
    private readonly Dictionary<string, PickleStorage> _storages = new(StringComparer.Ordinal);

    /// <summary>Every tensor made, so the caller can dispose what it does not keep.</summary>
    public List<Tensor> Tensors { get; } = [];

    /// <summary>Storage tensors (the views' bases): disposed once the object tree is built; the views keep the memory alive.</summary>
    public IEnumerable<Tensor> StorageTensors => _storages.Values.Select(s => s.Storage);

    public PickleValue PersistentLoad(PickleValue persistentId)
    {
        // ('storage', storage_type, key, location, numel)
        if (persistentId is not PickleTuple { Count: 5 } id || id[0] is not PickleString { Value: "storage" })
            throw Fail($"unsupported persistent id {Describe(persistentId)} (expected ('storage', type, key, location, numel))");
        if (id[1] is not PickleGlobal { Global: TorchGlobal.Storage } type)
            throw Fail($"persistent id names {id[1].TypeName} as storage type");
        if (id[2] is not PickleString key || id[4] is not PickleInt { Value: >= 0 } numel)
            throw Fail("persistent id with a malformed storage key or element count");
        var elementType = TorchGlobals.StorageElementType(type.QualifiedName);
        if (_storages.TryGetValue(key.Value, out var known))
        {
            if (known.Storage.dtype != elementType || known.Storage.NumberOfElements != numel.Value)
                throw Fail($"storage '{key.Value}' is declared twice with different types or sizes");
            return known;
        }
        var storage = new PickleStorage(loadStorage(key.Value, elementType, numel.Value), key.Value);
        _storages.Add(key.Value, storage);
        return storage;
    }

    public PickleValue Construct(PickleGlobal callable, PickleTuple args) => callable.Global switch
    {
        TorchGlobal.OrderedDict => OrderedDict(args),
        TorchGlobal.Namespace when args.Count == 0 => new PickleDict(PickleDict.Namespace),
        TorchGlobal.RebuildTensorV2 => RebuildTensor(args),
        TorchGlobal.RebuildParameter when args.Count >= 1 && args[0] is PickleTensor tensor => tensor,
        TorchGlobal.CodecsEncode => Encode(args),
        TorchGlobal.Device => Device(args),
        _ => throw Fail($"{callable.QualifiedName} called with arguments {Describe(args)}, which this reader does not interpret"),
    };

    public PickleValue Build(PickleValue target, PickleValue state)
    {
        // Objects with __slots__ pickle their state as (dict_state, slot_state).
        if (state is PickleTuple { Count: 2 } pair && pair[0] is PickleDict or PickleNone && pair[1] is PickleNone)
            state = pair[0];
        if (state is PickleNone) return target;
        if (target is not PickleDict dict || state is not PickleDict attributes)
            throw Fail($"BUILD of a {target.TypeName} with {state.TypeName} state is not supported");
        if (dict.ClassName == PickleDict.Namespace)
        {
            foreach (var (key, value) in attributes.Items) dict.Set(key, value);
        }
        else
        {
            dict.Attributes ??= new PickleDict(PickleDict.PlainDict);
            foreach (var (key, value) in attributes.Items) dict.Attributes.Set(key, value);
        }
        return dict;
    }

    private PickleDict OrderedDict(PickleTuple args)
    {
        var dict = new PickleDict(PickleDict.OrderedDict);
        if (args.Count == 0) return dict;
        if (args.Count == 1 && args[0] is PickleList or PickleTuple)
        {
            foreach (var item in (IReadOnlyList<PickleValue>)args[0])
            {
                if (item is not PickleTuple { Count: 2 } kv) throw Fail("OrderedDict items must be (key, value) pairs");
                dict.Set(kv[0], kv[1]);
            }
            return dict;
        }
        throw Fail($"OrderedDict with arguments {Describe(args)} is not supported");
    }

    private PickleTensor RebuildTensor(PickleTuple args)
    {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Count is < 6 or > 7 || args[0] is not PickleStorage storage || args[1] is not PickleInt offset)
            throw Fail($"_rebuild_tensor_v2 with unexpected arguments {Describe(args)}");
        long[] size = Integers(args[2], "size");
        long[] stride = Integers(args[3], "stride");
        if (size.Length != stride.Length)
            throw Fail($"tensor on storage '{storage.Key}' has {size.Length} sizes but {stride.Length} strides");
        if (size.Length > limits.MaxTensorDimensions)
            throw Fail($"tensor on storage '{storage.Key}' has {size.Length} dimensions (limit MaxTensorDimensions = {limits.MaxTensorDimensions})");
        CheckInsideStorage(storage, offset.Value, size, stride);
        var tensor = storage.Storage.as_strided(size, stride, offset.Value);
        Tensors.Add(tensor);
        return new PickleTensor(tensor);
    }

    /// <summary>Every element the view can address must lie in the storage: otherwise libtorch would read out of bounds.</summary>
    private void CheckInsideStorage(PickleStorage storage, long offset, long[] size, long[] stride)
    {
        long storageLength = storage.Storage.NumberOfElements;
        string where = $"tensor (size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}], offset {offset}) on storage '{storage.Key}' of {storageLength} elements";
        if (offset < 0 || size.Any(s => s < 0) || stride.Any(s => s < 0))
            throw Fail($"{where}: negative size, stride or offset");
        if (size.Contains(0))
        {
            if (offset > storageLength) throw Fail($"{where}: the offset lies beyond the storage");
            return;
        }
        try
        {
            long last = offset;
            for (int i = 0; i < size.Length; i++) last = checked(last + (size[i] - 1) * stride[i]);
            if (last >= storageLength) throw Fail($"{where}: it reaches element {last}, beyond the end of the storage");
        }
        catch (OverflowException)
        {
            throw Fail($"{where}: the extent overflows");
        }
    }

    private PickleBytes Encode(PickleTuple args)
    {
        // Protocol 2 writes bytes b as _codecs.encode(b.decode('latin1'), 'latin1').
        if (args is not [PickleString text, PickleString { Value: "latin1" or "latin-1" }])
            throw Fail($"_codecs.encode with arguments {Describe(args)} (only (str, 'latin1') is supported)");
        if (text.Value.Any(c => c > 0xff)) throw Fail("_codecs.encode of a string that is not latin-1");
        return new PickleBytes(Encoding.Latin1.GetBytes(text.Value));
    }

    private PickleString Device(PickleTuple args) => args switch
    {
        [PickleString type] => new PickleString(type.Value),
        [PickleString type, PickleInt index] => new PickleString($"{type.Value}:{index.Value}"),
        _ => throw Fail($"torch.device with arguments {Describe(args)}"),
    };

    private long[] Integers(PickleValue value, string what)
    {
        if (value is not PickleTuple tuple) throw Fail($"tensor {what} is a {value.TypeName}, not a tuple");
        var result = new long[tuple.Count];
        for (int i = 0; i < tuple.Count; i++)
            result[i] = tuple[i] is PickleInt n ? n.Value : throw Fail($"tensor {what} holds a {tuple[i].TypeName}");
        return result;
    }

    private static string Describe(PickleValue value) => value switch
    {
        PickleTuple t => $"({string.Join(", ", t.Select(Describe))})",
        PickleString s => $"'{(s.Value.Length > 40 ? s.Value[..40] + "…" : s.Value)}'",
        PickleInt or PickleFloat or PickleBool or PickleNone => value.ToString()!,
        _ => value.TypeName,
    };

    private InteropFormatException Fail(string problem) => new($"{source}: {problem}.");
}
