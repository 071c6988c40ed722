using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>Finds the state dict in a checkpoint's object tree and flattens it to dotted names.</summary>
internal static class StateDictFinder
{
    public static Dictionary<string, Tensor> Find(TorchCheckpoint checkpoint, string? entry)
    {
        string path = checkpoint.Path;
        if (checkpoint.Root is not PickleDict root)
            throw new InteropFormatException($"{path}: the checkpoint holds a {checkpoint.Root.TypeName}, not a dict; there is no state dict to read.");
        if (entry is not null)
        {
            var value = Lookup(root, entry)
                ?? throw new InteropFormatException($"{path}: no entry '{entry}'. Top-level keys: {string.Join(", ", root.StringKeys)}.");
            return Flatten(path, value, entry);
        }
        if (IsStateDict(root)) return Flatten(path, root, null);
        foreach (string known in TorchCheckpointReader.KnownStateDictEntries)
            if (root.TryGetValue(known, out var candidate) && IsStateDict(candidate))
                return Flatten(path, candidate, known);
        var choices = root.Items.Where(i => i.Key is PickleString && IsStateDict(i.Value)).Select(i => ((PickleString)i.Key).Value).ToList();
        throw new InteropFormatException(
            $"{path}: the root is not a state dict and none of the usual entries ({string.Join(", ", TorchCheckpointReader.KnownStateDictEntries)}) is one. " +
            (choices.Count > 0 ? $"Entries that are state dicts: {string.Join(", ", choices)}; name one." : $"Top-level keys: {string.Join(", ", root.StringKeys)}."));
    }

    /// <summary>An exact key first, then a dotted path through nested dicts.</summary>
    private static PickleValue? Lookup(PickleDict root, string entry)
    {
        if (root.TryGetValue(entry, out var direct)) return direct;
        PickleValue current = root;
        foreach (string part in entry.Split('.'))
        {
            if (current is not PickleDict dict || !dict.TryGetValue(part, out current!)) return null;
        }
        return current;
    }

    /// <summary>A non-empty dict whose leaves (through nested dicts with string keys) are all tensors.</summary>
    private static bool IsStateDict(PickleValue value)
    {
        if (value is not PickleDict { Count: > 0 } dict) return false;
        foreach (var (key, item) in dict.Items)
        {
            if (key is not PickleString) return false;
            if (item is PickleTensor) continue;
            if (!IsStateDict(item)) return false;
        }
        return true;
    }

    private static Dictionary<string, Tensor> Flatten(string path, PickleValue value, string? entry)
    {
        string where = entry is null ? "the root" : $"entry '{entry}'";
        if (value is not PickleDict dict)
            throw new InteropFormatException($"{path}: {where} is a {value.TypeName}, not a state dict.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Add(dict, "");
        return result;

        void Add(PickleDict node, string prefix)
        {
            foreach (var (key, item) in node.Items)
            {
                if (key is not PickleString name)
                    throw new InteropFormatException($"{path}: {where} is not a state dict: it has a key of type {key.TypeName} under '{prefix.TrimEnd('.')}'.");
                string full = prefix + name.Value;
                switch (item)
                {
                    case PickleTensor tensor:
                        if (!result.TryAdd(full, tensor.Tensor))
                            throw new InteropFormatException($"{path}: {where}: the name '{full}' occurs twice after flattening nested dicts.");
                        break;
                    case PickleDict nested:
                        Add(nested, full + ".");
                        break;
                    default:
                        throw new InteropFormatException($"{path}: {where} is not a state dict: '{full}' is a {item.TypeName}, not a tensor.");
                }
            }
        }
    }
}
