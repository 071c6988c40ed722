using System.Buffers.Binary;
using System.Text;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// The dynamic symbols a shared library needs from others (undefined, non-weak entries of <c>.dynsym</c>), read from
/// the ELF file itself: what <c>ldd -r</c> would report as undefined if no loaded library provides them.
/// Only little-endian ELF64 (x86-64, aarch64 Linux).
/// </summary>
public static class ElfDynamicSymbols
{
    private const uint ShtDynsym = 11;
    private const ushort ShnUndef = 0;
    private const byte StbWeak = 2;

    public static IReadOnlyList<string> Undefined(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException($"{path}: only little-endian ELF64 is supported");
        var span = b.AsSpan();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var names = new List<string>();
        for (int i = 0; i < shnum; i++)
        {
            var section = span[checked((int)shoff + i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != ShtDynsym) continue;
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(section[0x18..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(section[0x20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]);
            ulong entsize = BinaryPrimitives.ReadUInt64LittleEndian(section[0x38..]);
            var strtab = span[checked((int)shoff + (int)link * shentsize)..];
            ulong strOffset = BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);
            for (ulong e = entsize; e + entsize <= size; e += entsize)   // entry 0 is the null symbol
            {
                var sym = span[checked((int)(offset + e))..];
                uint nameIndex = BinaryPrimitives.ReadUInt32LittleEndian(sym);
                byte info = sym[4];
                ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(sym[6..]);
                if (shndx != ShnUndef || nameIndex == 0 || info >> 4 == StbWeak) continue;
                names.Add(ReadString(b, checked((int)(strOffset + nameIndex))));
            }
        }
        return names;
    }

    private static string ReadString(byte[] b, int start)
    {
        int end = Array.IndexOf(b, (byte)0, start);
        return Encoding.ASCII.GetString(b, start, (end < 0 ? b.Length : end) - start);
    }
}
