// MSBuild task (compiled by RoslynCodeTaskFactory from Directory.Build.targets).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so declares a need for GLIBCXX_3.4.32 (GCC 13) for one symbol,
// std::ios_base_library_init(), that no relocation references. On a system whose libstdc++ stops at an older
// version (Debian 12: GLIBCXX_3.4.30) the dynamic linker refuses the library. Marking that single version need
// VER_FLG_WEAK in .gnu.version_r makes it non-fatal; nothing else in the file changes.
//
// The task patches only files in build/publish outputs, only on Linux, only when the system libstdc++ lacks the
// version, is idempotent, and logs what it did.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
{
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Native libraries to inspect (e.g. every libLibTorchSharp.so under the output folder).</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Version needs that may be weakened, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Versions { get; set; } = "";

    /// <summary>Optional explicit path of the system libstdc++.so.6 (otherwise the usual locations are probed).</summary>
    public string SystemLibStdCxx { get; set; } = "";

    public override bool Execute()
    {
        var wanted = new HashSet<string>(Versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim()));
        string? libstdcxx = FindSystemLibStdCxx();
        if (libstdcxx is null)
        {
            Log.LogMessage(MessageImportance.High, "LddGan: no system libstdc++.so.6 found; TorchSharp natives left unpatched.");
            return true;
        }

        HashSet<string> provided;
        try { provided = ReadVersionDefinitions(File.ReadAllBytes(libstdcxx)); }
        catch (Exception e)
        {
            Log.LogWarning($"LddGan: could not read version definitions of {libstdcxx}: {e.Message}. TorchSharp natives left unpatched.");
            return true;
        }

        var missing = wanted.Where(v => !provided.Contains(v)).ToList();
        if (missing.Count == 0)
        {
            Log.LogMessage(MessageImportance.Normal, $"LddGan: {libstdcxx} provides {string.Join(", ", wanted)}; no patch needed.");
            return true;
        }
        string newest = provided.Where(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal))
                                .OrderBy(v => v, VersionNameComparer.Instance).LastOrDefault() ?? "none";

        foreach (var item in Libraries)
        {
            string path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                var (weakened, alreadyWeak, otherMissing) = WeakenNeeds(bytes, missing, provided);
                if (weakened > 0)
                {
                    string tmp = path + ".lddgan-tmp";
                    File.WriteAllBytes(tmp, bytes);
                    // Replace by rename so a reader never sees a half-written library (netstandard has no Move(overwrite)).
                    File.Replace(tmp, path, null);
                    Log.LogMessage(MessageImportance.High,
                        $"LddGan: marked {string.Join(", ", missing)} as a weak version need in {path} " +
                        $"(system libstdc++ {libstdcxx} provides up to {newest}); TorchSharp can now load.");
                }
                else if (alreadyWeak > 0)
                {
                    Log.LogMessage(MessageImportance.High, $"LddGan: {path} already patched ({string.Join(", ", missing)} weak).");
                }
                foreach (var v in otherMissing)
                    Log.LogWarning($"LddGan: {path} also needs {v}, which {libstdcxx} lacks and which is not in the allowed list; the library may fail to load.");
            }
            catch (Exception e)
            {
                Log.LogError($"LddGan: failed to patch {path}: {e.Message}");
                return false;
            }
        }
        return !Log.HasLoggedErrors;
    }

    private string? FindSystemLibStdCxx()
    {
        if (!string.IsNullOrEmpty(SystemLibStdCxx)) return File.Exists(SystemLibStdCxx) ? SystemLibStdCxx : null;
        var dirs = new List<string>();
        var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
        dirs.AddRange(new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                              "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib", "/lib" });
        return dirs.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
    }

    // RoslynCodeTaskFactory compiles against netstandard2.0 (no records, no newer BCL overloads).
    private readonly struct Section
    {
        public Section(uint type, ulong offset, ulong size, uint link, uint info) { Type = type; Offset = offset; Size = size; Link = link; Info = info; }
        public uint Type { get; }
        public ulong Offset { get; }
        public ulong Size { get; }
        public uint Link { get; }
        public uint Info { get; }
    }

    private static List<Section> ReadSections(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        ushort shentsize = BitConverter.ToUInt16(b, 0x3A);
        ushort shnum = BitConverter.ToUInt16(b, 0x3C);
        var sections = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            int p = checked((int)(shoff + (ulong)(i * shentsize)));
            sections.Add(new Section(BitConverter.ToUInt32(b, p + 4), BitConverter.ToUInt64(b, p + 0x18),
                                     BitConverter.ToUInt64(b, p + 0x20), BitConverter.ToUInt32(b, p + 0x28),
                                     BitConverter.ToUInt32(b, p + 0x2C)));
        }
        return sections;
    }

    private static string ReadString(byte[] b, ulong offset)
    {
        int start = checked((int)offset), end = start;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, start, end - start);
    }

    /// <summary>Names of all versions defined in .gnu.version_d (Elf64_Verdef / Elf64_Verdaux).</summary>
    private static HashSet<string> ReadVersionDefinitions(byte[] b)
    {
        var names = new HashSet<string>();
        var sections = ReadSections(b);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerdef))
        {
            ulong strtab = sections[(int)s.Link].Offset;
            ulong p = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                uint vdAux = BitConverter.ToUInt32(b, (int)p + 12), vdNext = BitConverter.ToUInt32(b, (int)p + 16);
                uint vdaName = BitConverter.ToUInt32(b, (int)(p + vdAux));
                names.Add(ReadString(b, strtab + vdaName));
                if (vdNext == 0) break;
                p += vdNext;
            }
        }
        return names;
    }

    /// <summary>Sets VER_FLG_WEAK on needs (Elf64_Verneed / Elf64_Vernaux) named in <paramref name="toWeaken"/>.</summary>
    private static (int Weakened, int AlreadyWeak, List<string> OtherMissing) WeakenNeeds(
        byte[] b, List<string> toWeaken, HashSet<string> provided)
    {
        int weakened = 0, alreadyWeak = 0;
        var otherMissing = new List<string>();
        var sections = ReadSections(b);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            ulong strtab = sections[(int)s.Link].Offset;
            ulong p = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                ushort vnCnt = BitConverter.ToUInt16(b, (int)p + 2);
                string file = ReadString(b, strtab + BitConverter.ToUInt32(b, (int)p + 4));
                uint vnAux = BitConverter.ToUInt32(b, (int)p + 8), vnNext = BitConverter.ToUInt32(b, (int)p + 12);
                ulong a = p + vnAux;
                for (int j = 0; j < vnCnt; j++)
                {
                    int flagsAt = (int)a + 4;
                    ushort flags = BitConverter.ToUInt16(b, flagsAt);
                    string name = ReadString(b, strtab + BitConverter.ToUInt32(b, (int)a + 8));
                    uint vnaNext = BitConverter.ToUInt32(b, (int)a + 12);
                    if (toWeaken.Contains(name))
                    {
                        if ((flags & VerFlagWeak) != 0) alreadyWeak++;
                        else { BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(b, flagsAt); weakened++; }
                    }
                    else if (file.StartsWith("libstdc++", StringComparison.Ordinal) && !provided.Contains(name) && (flags & VerFlagWeak) == 0)
                    {
                        otherMissing.Add(name);
                    }
                    if (vnaNext == 0) break;
                    a += vnaNext;
                }
                if (vnNext == 0) break;
                p += vnNext;
            }
        }
        return (weakened, alreadyWeak, otherMissing);
    }

    private sealed class VersionNameComparer : IComparer<string>
    {
        public static readonly VersionNameComparer Instance = new();
        public int Compare(string? x, string? y)
        {
            static int[] Parts(string? s) => (s ?? "").Split('_').Last().Split('.').Select(p => int.TryParse(p, out var n) ? n : 0).ToArray();
            var a = Parts(x); var c = Parts(y);
            for (int i = 0; i < Math.Max(a.Length, c.Length); i++)
            {
                int d = (i < a.Length ? a[i] : 0).CompareTo(i < c.Length ? c[i] : 0);
                if (d != 0) return d;
            }
            return 0;
        }
    }
}
