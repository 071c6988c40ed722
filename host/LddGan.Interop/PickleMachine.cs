using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace LddGan.Interop;

/// <summary>What the pickle machine asks of its host: storages for persistent ids, and the meaning of allow-listed globals.</summary>
internal interface IPickleInterpreter
{
    /// <summary>BINPERSID: the object a persistent id stands for.</summary>
    PickleValue PersistentLoad(PickleValue persistentId);

    /// <summary>REDUCE and NEWOBJ: the value that <c>callable(*args)</c> would produce, computed by our code.</summary>
    PickleValue Construct(PickleGlobal callable, PickleTuple args);

    /// <summary>BUILD: applies <paramref name="state"/> to <paramref name="target"/> (returns the resulting object).</summary>
    PickleValue Build(PickleValue target, PickleValue state);
}

/// <summary>
/// A pickle reader for the opcodes that <c>torch.save</c> (protocol 2) and plain Python containers use. It has no
/// way to import or call anything: GLOBAL/STACK_GLOBAL only accept allow-listed names (see <see cref="TorchGlobals"/>),
/// everything else is refused with <see cref="UnsafePickleException"/> before any further opcode runs. It is a loop over
/// an explicit stack (no recursion), every length is checked against the bytes that remain, and the finished tree is
/// checked for depth and cycles without recursion either.
/// </summary>
internal sealed class PickleMachine(string source, byte[] data, TorchCheckpointLimits limits, IPickleInterpreter interpreter)
{
    private readonly List<PickleValue> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, PickleValue> _memo = [];
    private int _position;
    private int _opcodeStart;

    public PickleValue Run()
    {
        while (true)
        {
            _opcodeStart = _position;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol > 5) throw Error($"pickle protocol {protocol} is newer than any this reader knows (≤ 5)");
                    break;
                case 0x95: // FRAME: an optional size hint; the data follows inline
                    ReadUInt64();
                    break;
                case (byte)'.': // STOP
                    var result = Pop();
                    if (_stack.Count != 0 || _marks.Count != 0)
                        throw Error("STOP with values left on the stack (the pickle is malformed)");
                    PickleTreeCheck.Check(source, result, limits.MaxDepth);
                    return result;

                case (byte)'}': Push(new PickleDict(PickleDict.PlainDict)); break; // EMPTY_DICT
                case (byte)']': Push(new PickleList()); break; // EMPTY_LIST
                case (byte)')': Push(new PickleTuple([])); break; // EMPTY_TUPLE
                case (byte)'(': // MARK
                    if (_marks.Count >= limits.MaxStackLength) throw Error($"more than {limits.MaxStackLength} open MARKs");
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP

                case (byte)'q': Memoize(ReadByte()); break; // BINPUT
                case (byte)'r': Memoize(ReadUInt32()); break; // LONG_BINPUT
                case 0x94: Memoize(_memo.Count); break; // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte())); break; // BINGET
                case (byte)'j': Push(Recall(ReadUInt32())); break; // LONG_BINGET

                case (byte)'N': Push(PickleNone.Instance); break; // NONE
                case 0x88: Push(new PickleBool(true)); break; // NEWTRUE
                case 0x89: Push(new PickleBool(false)); break; // NEWFALSE
                case (byte)'K': Push(new PickleInt(ReadByte())); break; // BININT1
                case (byte)'M': Push(new PickleInt(BinaryPrimitives.ReadUInt16LittleEndian(Take(2)))); break; // BININT2
                case (byte)'J': Push(new PickleInt(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break; // BININT
                case 0x8a: Push(Long(Take(ReadByte()))); break; // LONG1
                case 0x8b: // LONG4
                    int longLength = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
                    if (longLength is < 0 or > 4096) throw Error($"LONG4 declares {longLength} bytes (at most 4096 supported)");
                    Push(Long(Take((ulong)longLength)));
                    break;
                case (byte)'G': Push(new PickleFloat(BinaryPrimitives.ReadDoubleBigEndian(Take(8)))); break; // BINFLOAT

                case (byte)'X': Push(Utf8(Take(ReadUInt32()))); break; // BINUNICODE
                case 0x8c: Push(Utf8(Take(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(Take(ReadUInt64()))); break; // BINUNICODE8
                case (byte)'B': Push(new PickleBytes(Take(ReadUInt32()).ToArray())); break; // BINBYTES
                case (byte)'C': Push(new PickleBytes(Take(ReadByte()).ToArray())); break; // SHORT_BINBYTES
                case 0x8e: Push(new PickleBytes(Take(ReadUInt64()).ToArray())); break; // BINBYTES8

                case (byte)'t': Push(new PickleTuple(PopMark())); break; // TUPLE
                case 0x85: Push(new PickleTuple([Pop()])); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b, c])); break; } // TUPLE3
                case (byte)'l': { var items = PopMark(); var list = new PickleList(); list.Items.AddRange(items); Push(list); break; } // LIST
                case (byte)'d': { var items = PopMark(); Push(FillDict(new PickleDict(PickleDict.PlainDict), items)); break; } // DICT

                case (byte)'a': { var value = Pop(); AsList(Peek(), "APPEND").Items.Add(value); break; } // APPEND
                case (byte)'e': { var items = PopMark(); AsList(Peek(), "APPENDS").Items.AddRange(items); break; } // APPENDS
                case (byte)'s': { var value = Pop(); var key = Pop(); AsDict(Peek(), "SETITEM").Set(key, value); break; } // SETITEM
                case (byte)'u': { var items = PopMark(); FillDict(AsDict(Peek(), "SETITEMS"), items); break; } // SETITEMS

                case (byte)'c': // GLOBAL
                {
                    string module = ReadLine("module");
                    string name = ReadLine("name");
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not PickleString m || name is not PickleString n)
                        throw Error($"STACK_GLOBAL needs two strings, found {module.TypeName} and {name.TypeName}");
                    Push(ResolveGlobal(m.Value, n.Value));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Construct(callable, args, "REDUCE"));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop();
                    var cls = Pop();
                    Push(Construct(cls, args, "NEWOBJ"));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    var target = Pop();
                    Push(interpreter.Build(target, state));
                    break;
                }
                case (byte)'Q': Push(interpreter.PersistentLoad(Pop())); break; // BINPERSID

                default:
                    throw Error($"unsupported pickle opcode 0x{opcode:x2}{Printable(opcode)}: torch.save files do not use it, so this reader does not run it");
            }
        }
    }

    /// <summary>Wraps errors from the interpreter with the position, keeping unsafe-global errors as they are.</summary>
    private PickleValue Construct(PickleValue callable, PickleValue args, string opcode)
    {
        if (callable is not PickleGlobal global)
            throw Error($"{opcode} on a {callable.TypeName}, which is not a class or function");
        if (args is not PickleTuple tuple)
            throw Error($"{opcode} of {global.QualifiedName} with {args.TypeName} arguments (a tuple is required)");
        return interpreter.Construct(global, tuple);
    }

    private PickleGlobal ResolveGlobal(string module, string name)
    {
        string qualified = $"{TorchGlobals.Python3Module(module)}.{name}";
        string written = $"{module}.{name}";
        string shown = written == qualified ? qualified : $"{written} ({qualified})";
        var global = TorchGlobals.Find(qualified)
            ?? throw new UnsafePickleException(
                $"{source}: the pickle refers to the global '{shown}' at offset {_opcodeStart}, which is not on the allow-list. " +
                "Loading this file in Python would import and possibly run it; we refuse to run code from a checkpoint. " +
                "Only plain tensors, containers and a few known PyTorch/argparse classes are accepted (see docs/interop.md).",
                qualified);
        return new PickleGlobal(global, qualified);
    }

    private static PickleDict FillDict(PickleDict dict, List<PickleValue> items)
    {
        for (int i = 0; i + 1 < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
        return dict;
    }

    private PickleList AsList(PickleValue value, string opcode) =>
        value as PickleList ?? throw Error($"{opcode} on a {value.TypeName} (a list is required)");

    private PickleDict AsDict(PickleValue value, string opcode) =>
        value as PickleDict ?? throw Error($"{opcode} on a {value.TypeName} (a dict is required)");

    private void Push(PickleValue value)
    {
        if (_stack.Count >= limits.MaxStackLength)
            throw Error($"more than {limits.MaxStackLength} values on the stack (limit MaxStackLength)");
        _stack.Add(value);
    }

    private PickleValue Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error("the pickle pops from an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private PickleValue Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error("the pickle reads from an empty stack");
        return _stack[^1];
    }

    private List<PickleValue> PopMark()
    {
        if (_marks.Count == 0) throw Error("no MARK to close");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private void Memoize(long index)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
            throw Error("memo put with nothing on the stack");
        _memo[index] = _stack[^1];
    }

    private PickleValue Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} is read before it is written");

    private byte ReadByte() => Take(1)[0];
    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>The next <paramref name="count"/> bytes; a declared length beyond the data is an error, never an allocation.</summary>
    private ReadOnlySpan<byte> Take(ulong count)
    {
        ulong remaining = (ulong)(data.Length - _position);
        if (count > remaining)
            throw Error(_position == data.Length && count == 1
                ? "the pickle ends without STOP (truncated)"
                : $"the opcode declares {count} bytes but only {remaining} remain in the pickle");
        var span = data.AsSpan(_position, (int)count);
        _position += (int)count;
        return span;
    }

    private string ReadLine(string what)
    {
        int end = Array.IndexOf(data, (byte)'\n', _position, Math.Min(256, data.Length - _position));
        if (end < 0) throw Error($"GLOBAL {what} has no end of line within 256 bytes");
        string text = Encoding.ASCII.GetString(data, _position, end - _position);
        _position = end + 1;
        return text;
    }

    private PickleString Utf8(ReadOnlySpan<byte> bytes)
    {
        try { return new PickleString(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes)); }
        catch (DecoderFallbackException e) { throw new InteropFormatException($"{source}: invalid UTF-8 in a string at offset {_opcodeStart} ({e.Message}).", e); }
    }

    private static PickleValue Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? new PickleInt((long)value) : new PickleBigInt(value);
    }

    private static string Printable(byte b) => b is >= 0x20 and < 0x7f ? $" ('{(char)b}')" : "";

    private InteropFormatException Error(string problem) =>
        new($"{source}: {problem} (at byte offset {_opcodeStart} of the pickle).");
}

/// <summary>
/// Checks the finished object tree without recursion: no container deeper than the limit, no cycles (a pickle can
/// make a list that contains itself through the memo), and no stack-only values left inside.
/// </summary>
internal static class PickleTreeCheck
{
    public static void Check(string source, PickleValue root, int maxDepth)
    {
        // Longest path below each finished node, so shared sub-trees are walked once.
        var height = new Dictionary<PickleValue, int>(ReferenceEqualityComparer.Instance);
        var onPath = new HashSet<PickleValue>(ReferenceEqualityComparer.Instance);
        var work = new Stack<(PickleValue Node, IEnumerator<PickleValue> Children)>();
        Enter(root);
        while (work.Count > 0)
        {
            var (node, children) = work.Peek();
            if (children.MoveNext())
            {
                var child = children.Current;
                if (onPath.Contains(child))
                    throw new InteropFormatException($"{source}: the pickled object contains itself (a cycle); checkpoints never do.");
                if (!height.ContainsKey(child)) Enter(child);
                continue;
            }
            work.Pop();
            onPath.Remove(node);
            int h = 0;
            foreach (var child in ChildrenOf(node)) h = Math.Max(h, height[child] + 1);
            if (h > maxDepth)
                throw new InteropFormatException($"{source}: containers are nested more than {maxDepth} deep (limit MaxDepth); refusing the file.");
            height[node] = h;
        }

        void Enter(PickleValue node)
        {
            if (node is PickleMark or PickleGlobal or PickleStorage)
                throw new InteropFormatException($"{source}: the pickle leaves a bare {node.TypeName} in the result, which this reader does not support.");
            if (work.Count > maxDepth)
                throw new InteropFormatException($"{source}: containers are nested more than {maxDepth} deep (limit MaxDepth); refusing the file.");
            onPath.Add(node);
            work.Push((node, ChildrenOf(node).GetEnumerator()));
        }
    }

    private static IEnumerable<PickleValue> ChildrenOf(PickleValue node) => node switch
    {
        PickleList list => list.Items,
        PickleTuple tuple => tuple,
        PickleDict dict => dict.Items.SelectMany(i => new[] { i.Key, i.Value })
            .Concat(dict.Attributes is { } a ? [a] : []),
        _ => [],
    };
}
