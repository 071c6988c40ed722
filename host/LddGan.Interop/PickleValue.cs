using System.Collections;
using System.Globalization;
using System.Numerics;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// A value read from a pickle by <see cref="TorchCheckpointReader"/>: none, bool, int, float, str, bytes, list, tuple,
/// dict (also OrderedDict and argparse.Namespace) or tensor. Nothing else can be built, so nothing else can come out.
/// The tree is acyclic and at most <see cref="TorchCheckpointLimits.MaxDepth"/> deep (checked after loading).
/// </summary>
public abstract class PickleValue
{
    private protected PickleValue() { }

    /// <summary>A short Python-like type name for messages (<c>int</c>, <c>dict</c>, <c>tensor</c>, …).</summary>
    public abstract string TypeName { get; }
}

public sealed class PickleNone : PickleValue
{
    public static PickleNone Instance { get; } = new();
    private PickleNone() { }
    public override string TypeName => "None";
    public override string ToString() => "None";
}

public sealed class PickleBool(bool value) : PickleValue
{
    public bool Value => value;
    public override string TypeName => "bool";
    public override string ToString() => value ? "True" : "False";
}

public sealed class PickleInt(long value) : PickleValue
{
    public long Value => value;
    public override string TypeName => "int";
    public override string ToString() => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A Python int that does not fit in 64 bits.</summary>
public sealed class PickleBigInt(BigInteger value) : PickleValue
{
    public BigInteger Value => value;
    public override string TypeName => "int";
    public override string ToString() => value.ToString(CultureInfo.InvariantCulture);
}

public sealed class PickleFloat(double value) : PickleValue
{
    public double Value => value;
    public override string TypeName => "float";
    public override string ToString() => value.ToString("R", CultureInfo.InvariantCulture);
}

public sealed class PickleString(string value) : PickleValue
{
    public string Value => value;
    public override string TypeName => "str";
    public override string ToString() => value;
}

public sealed class PickleBytes(byte[] value) : PickleValue
{
    public ReadOnlyMemory<byte> Value => value;
    public override string TypeName => "bytes";
}

/// <summary>A Python list (mutable while the pickle is being read, read-only afterwards).</summary>
public sealed class PickleList : PickleValue, IReadOnlyList<PickleValue>
{
    internal List<PickleValue> Items { get; } = [];
    public override string TypeName => "list";
    public int Count => Items.Count;
    public PickleValue this[int index] => Items[index];
    public IEnumerator<PickleValue> GetEnumerator() => Items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class PickleTuple(IReadOnlyList<PickleValue> items) : PickleValue, IReadOnlyList<PickleValue>
{
    public override string TypeName => "tuple";
    public int Count => items.Count;
    public PickleValue this[int index] => items[index];
    public IEnumerator<PickleValue> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A Python dict, <c>collections.OrderedDict</c> or <c>argparse.Namespace</c> (its attributes as items), in insertion
/// order. Setting an existing key replaces its value, as in Python. <see cref="Attributes"/> holds instance attributes
/// set on the object itself (e.g. the <c>_metadata</c> of a PyTorch state dict), or is null.
/// </summary>
public sealed class PickleDict(string className) : PickleValue
{
    public const string PlainDict = "dict";
    public const string OrderedDict = "collections.OrderedDict";
    public const string Namespace = "argparse.Namespace";

    private readonly List<KeyValuePair<PickleValue, PickleValue>> _items = [];
    private readonly Dictionary<object, int> _indexByKey = [];

    /// <summary><see cref="PlainDict"/>, <see cref="OrderedDict"/> or <see cref="Namespace"/>.</summary>
    public string ClassName => className;
    public override string TypeName => className;
    public IReadOnlyList<KeyValuePair<PickleValue, PickleValue>> Items => _items;
    public int Count => _items.Count;
    public PickleDict? Attributes { get; internal set; }

    /// <summary>The keys that are strings, in order.</summary>
    public IEnumerable<string> StringKeys => _items.Select(i => i.Key).OfType<PickleString>().Select(k => k.Value);

    public bool TryGetValue(string key, out PickleValue value)
    {
        if (_indexByKey.TryGetValue(KeyIdentity.StringKey(key), out int index))
        {
            value = _items[index].Value;
            return true;
        }
        value = PickleNone.Instance;
        return false;
    }

    /// <summary>The value under a string key; <see cref="KeyNotFoundException"/> naming the key otherwise.</summary>
    public PickleValue this[string key] => TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"no key '{key}' (have: {string.Join(", ", StringKeys)})");

    internal void Set(PickleValue key, PickleValue value)
    {
        var identity = KeyIdentity.Of(key);
        if (identity is not null && _indexByKey.TryGetValue(identity, out int index))
        {
            _items[index] = new(_items[index].Key, value);
            return;
        }
        if (identity is not null) _indexByKey[identity] = _items.Count;
        _items.Add(new(key, value));
    }

    /// <summary>Python equality for the hashable key kinds a checkpoint uses (True == 1 == 1.0); other keys are never merged.</summary>
    private static class KeyIdentity
    {
        public static object StringKey(string s) => ("str", s);

        public static object? Of(PickleValue key) => key switch
        {
            PickleString s => StringKey(s.Value),
            PickleInt i => ("num", (BigInteger)i.Value),
            PickleBigInt b => ("num", b.Value),
            PickleBool b => ("num", (BigInteger)(b.Value ? 1 : 0)),
            PickleFloat f when Math.Floor(f.Value) == f.Value && double.IsFinite(f.Value) => ("num", new BigInteger(f.Value)),
            PickleFloat f => ("float", f.Value),
            PickleNone => "None",
            _ => null,
        };
    }
}

/// <summary>A tensor rebuilt from a checkpoint storage (CPU; dtype, shape, strides and storage offset as saved).</summary>
public sealed class PickleTensor(Tensor tensor) : PickleValue
{
    public Tensor Tensor => tensor;
    public override string TypeName => "tensor";
}

/// <summary>Values that exist only on the machine's stack while reading; they never reach the result.</summary>
internal sealed class PickleMark : PickleValue
{
    public static PickleMark Instance { get; } = new();
    public override string TypeName => "mark";
}

/// <summary>An allow-listed global (class or function) named by GLOBAL/STACK_GLOBAL, waiting to be interpreted.</summary>
internal sealed class PickleGlobal(TorchGlobal global, string qualifiedName) : PickleValue
{
    public TorchGlobal Global => global;
    public string QualifiedName => qualifiedName;
    public override string TypeName => $"global {qualifiedName}";
}

/// <summary>A storage from the archive, named by a persistent id, before a tensor is built on it.</summary>
internal sealed class PickleStorage(Tensor storage, string key) : PickleValue
{
    public Tensor Storage => storage;
    public string Key => key;
    public override string TypeName => "storage";
}
