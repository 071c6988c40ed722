using System.Text;

namespace LddGan.Tests.Interop;

/// <summary>Writes pickle opcodes by hand, so tests can build files torch.save would never produce.</summary>
internal sealed class PickleBytesBuilder
{
    private readonly List<byte> _bytes = [0x80, 0x02]; // PROTO 2

    public PickleBytesBuilder Op(char opcode) { _bytes.Add((byte)opcode); return this; }
    public PickleBytesBuilder Op(byte opcode) { _bytes.Add(opcode); return this; }
    public PickleBytesBuilder Raw(params byte[] bytes) { _bytes.AddRange(bytes); return this; }

    public PickleBytesBuilder Global(string module, string name) =>
        Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBytesBuilder Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return Op('X').Raw(BitConverter.GetBytes((uint)utf8.Length)).Raw(utf8);
    }

    public PickleBytesBuilder Int(byte value) => Op('K').Raw(value);
    public PickleBytesBuilder LongPut(uint index) => Op('r').Raw(BitConverter.GetBytes(index));
    public PickleBytesBuilder LongGet(uint index) => Op('j').Raw(BitConverter.GetBytes(index));

    /// <summary>_rebuild_tensor_v2(storage '0' of FloatStorage with <paramref name="numel"/> elements, offset, size, stride, False, OrderedDict()).</summary>
    public PickleBytesBuilder FloatTensor(byte numel, byte offset, byte[] size, byte[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        Op('(').Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(numel).Op('t').Op('Q');
        Int(offset);
        Op('('); foreach (byte s in size) Int(s); Op('t');
        Op('('); foreach (byte s in stride) Int(s); Op('t');
        Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        return Op('t').Op('R');
    }

    public byte[] Stop() => [.. _bytes, (byte)'.'];
}
