using System.IO.Compression;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// Reads <c>torch.save</c> files in the zip format (PyTorch ≥ 1.6) without Python and without running any code from
/// them: <c>&lt;root&gt;/data.pkl</c> is interpreted by a restricted pickle machine that knows only the opcodes
/// torch.save emits and a fixed allow-list of globals (see docs/interop.md); the tensors' bytes come from
/// <c>&lt;root&gt;/data/&lt;key&gt;</c>. Tensors are CPU tensors with the saved dtype, shape, strides and storage
/// offset; tensors that shared a storage in Python share it here. <c>requires_grad</c> is not restored.
/// Errors: <see cref="UnsafePickleException"/> for a global outside the allow-list, <see cref="InteropFormatException"/>
/// for everything else; both name the file.
/// </summary>
public static class TorchCheckpointReader
{
    /// <summary>Entries tried, in order, when <c>ReadStateDict</c> is given no entry and the root is not itself a state dict.</summary>
    public static IReadOnlyList<string> KnownStateDictEntries { get; } =
        ["state_dict", "model_state_dict", "model", "netG_dict", "generator", "net", "params", "ema"];

    /// <summary>Loads the whole object tree of a checkpoint.</summary>
    public static TorchCheckpoint Read(string path, TorchCheckpointLimits? limits = null)
    {
        limits ??= TorchCheckpointLimits.Default;
        CheckContainer(path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            throw new InteropFormatException($"{path}: the zip container is damaged or truncated ({e.Message}). Copy the file again or re-save it with torch.save.", e);
        }
        using (zip)
        {
            return new ArchiveLoader(path, zip, limits).Load();
        }
    }

    /// <summary>
    /// Reads the tensors of a state dict, keyed as in Python, nested dicts flattened with dots (<c>a.b.c</c>). Without
    /// <paramref name="entry"/>: the root when all its leaves are tensors, else the first of
    /// <see cref="KnownStateDictEntries"/> present. With it: that top-level key (dots descend into nested dicts,
    /// e.g. <c>"model.ema"</c> when no key with the dot exists). Keys are kept as stored (a <c>module.</c> prefix from
    /// DataParallel stays). The caller owns the returned tensors (created in the current dispose scope, if any).
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> ReadStateDict(string path, string? entry = null, TorchCheckpointLimits? limits = null)
    {
        using var checkpoint = Read(path, limits);
        var result = StateDictFinder.Find(checkpoint, entry);
        checkpoint.Release(result.Values);
        return result;
    }

    /// <summary>Legacy torch.save files start with a pickle, TorchScript archives hold code: say so instead of failing obscurely.</summary>
    private static void CheckContainer(string path)
    {
        if (!File.Exists(path)) throw new InteropFormatException($"{path}: file not found.");
        Span<byte> head = stackalloc byte[4];
        int read;
        using (var file = File.OpenRead(path)) read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 1 && head[0] == 0x80)
            throw new InteropFormatException(
                $"{path}: this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported; only the zip format is. " +
                "Convert it in Python with: import torch; torch.save(torch.load('old.pt'), 'new.pt')  (load only files you trust).");
        if (read < 2 || head[0] != (byte)'P' || head[1] != (byte)'K')
            throw new InteropFormatException($"{path}: not a torch.save zip checkpoint (it does not start with a zip signature).");
    }

    /// <summary>One file's zip: finds the records, loads storages on demand within the limits, runs the pickle.</summary>
    private sealed class ArchiveLoader(string path, ZipArchive zip, TorchCheckpointLimits limits)
    {
        private long _storageBytes;
        private string _root = "";
        private bool _bigEndian;

        public TorchCheckpoint Load()
        {
            var pickleEntry = FindPickle();
            _root = pickleEntry.FullName[..^"data.pkl".Length];
            _bigEndian = ReadByteOrder();
            CheckDeclaredStorageSizes();
            byte[] pickle = ReadAll(pickleEntry, limits.MaxPickleBytes, "MaxPickleBytes");
            string source = $"{path} ({pickleEntry.FullName})";
            var builder = new TorchObjectBuilder(source, limits, LoadStorage);
            try
            {
                var root = new PickleMachine(source, pickle, limits, builder).Run();
                return new TorchCheckpoint(path, root, builder.Tensors);
            }
            catch
            {
                foreach (var tensor in builder.Tensors) tensor.Dispose();
                throw;
            }
            finally
            {
                foreach (var storage in builder.StorageTensors) storage.Dispose();
            }
        }

        private ZipArchiveEntry FindPickle()
        {
            var entries = zip.Entries;
            if (entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal) || e.FullName.Contains("/code/", StringComparison.Ordinal)))
                throw new InteropFormatException($"{path}: this is a TorchScript archive (torch.jit.save), which holds code; save the module's state_dict with torch.save instead.");
            var candidates = entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            return candidates.Count switch
            {
                1 => candidates[0],
                0 => throw new InteropFormatException($"{path}: the zip has no <root>/data.pkl record; it is not a torch.save checkpoint."),
                _ => throw new InteropFormatException($"{path}: the zip has several data.pkl records ({string.Join(", ", candidates.Select(c => c.FullName))})."),
            };
        }

        /// <summary>
        /// Refuses a file whose storage records together declare more than the cap, before one byte is inflated: a
        /// small file that inflates to gigabytes (a zip bomb) is turned away by its directory alone.
        /// </summary>
        private void CheckDeclaredStorageSizes()
        {
            string prefix = _root + "data/";
            long declared = 0;
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.StartsWith(prefix, StringComparison.Ordinal)) continue;
                // torch.save stores records uncompressed; a compressed one may not claim more than deflate can expand
                // to (about 1032:1), so a lying zip header cannot make us allocate memory its data could never fill.
                if (entry.Length > entry.CompressedLength * 1100 + 4096)
                    throw new InteropFormatException($"{path}: storage record '{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} compressed bytes; the zip is damaged or hostile.");
                declared += entry.Length;
                if (declared > limits.MaxTotalStorageBytes)
                    throw new InteropFormatException(
                        $"{path}: its tensor records declare more than {MachineMemory.Format(limits.MaxTotalStorageBytes)} " +
                        $"({declared} bytes so far, {new FileInfo(path).Length} bytes on disk), the limit MaxTotalStorageBytes " +
                        $"(the memory available now, at most {MachineMemory.Format(TorchCheckpointLimits.HardStorageCap)}); " +
                        "nothing was inflated. A real checkpoint this large needs a machine with more free memory.");
            }
        }

        private bool ReadByteOrder()
        {
            var entry = zip.GetEntry(_root + "byteorder");
            if (entry is null) return false;
            string order = System.Text.Encoding.ASCII.GetString(ReadAll(entry, 16, "byteorder")).Trim();
            return order switch
            {
                "little" => false,
                "big" => true,
                _ => throw new InteropFormatException($"{path}: unknown byte order '{order}' in {entry.FullName}."),
            };
        }

        private Tensor LoadStorage(string key, ScalarType type, long numel)
        {
            string name = _root + "data/" + key;
            if (key.Length == 0 || key.Contains('/') || key.Contains(".."))
                throw new InteropFormatException($"{path}: invalid storage key '{key}'.");
            var entry = zip.GetEntry(name) ?? throw new InteropFormatException($"{path}: storage record '{name}' is missing.");
            long needed = TensorElementTypes.ByteCount(numel, type) ?? long.MaxValue;
            if (needed > entry.Length)
                throw new InteropFormatException(
                    $"{path}: storage '{key}' declares {numel} {type} elements ({needed} bytes) but its record holds only {entry.Length} bytes.");
            _storageBytes += needed;
            if (_storageBytes > limits.MaxTotalStorageBytes)
                throw new InteropFormatException($"{path}: the tensors exceed {limits.MaxTotalStorageBytes} bytes in total (limit MaxTotalStorageBytes).");
            try
            {
                using var stream = entry.Open();
                return TensorElementTypes.ReadTensor(stream, type, [numel], _bigEndian,
                    problem => new InteropFormatException($"{path}: storage '{key}': {problem}."));
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new InteropFormatException($"{path}: storage record '{name}' is damaged or truncated ({e.Message}).", e);
            }
        }

        private byte[] ReadAll(ZipArchiveEntry entry, long limit, string limitName)
        {
            if (entry.Length > limit)
                throw new InteropFormatException($"{path}: {entry.FullName} is {entry.Length} bytes, more than the limit of {limit} ({limitName}).");
            try
            {
                using var stream = entry.Open();
                var buffer = new byte[entry.Length];
                stream.ReadExactly(buffer);
                return buffer;
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new InteropFormatException($"{path}: {entry.FullName} is damaged or truncated ({e.Message}).", e);
            }
        }
    }
}
