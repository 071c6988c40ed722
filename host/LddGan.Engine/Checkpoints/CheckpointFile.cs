using LddGan.Engine.Runtime;
using System.IO.Compression;
using System.Text.Json;
using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Checkpoints;

/// <summary>What a checkpoint says about itself (meta.json).</summary>
public sealed record CheckpointMeta
{
    public int Format { get; init; } = CheckpointFile.FormatVersion;
    public string FrameworkVersion { get; init; } = "";
    public DateTimeOffset Created { get; init; }
    public long GlobalStep { get; init; }
    public int Epoch { get; init; }
    public int BatchInEpoch { get; init; }
    public string? DataOrderAtEpochStart { get; init; }
    public int DataChannels { get; init; }
    public int DataHeight { get; init; }
    public int DataWidth { get; init; }
    public bool HasEma { get; init; }
    public bool EmaInitialised { get; init; }
    /// <summary>Training wall time up to this checkpoint, summed over resumes (seconds; 0 in checkpoints written before it was recorded).</summary>
    public double TrainingSeconds { get; init; }
    /// <summary>
    /// A run's best checkpoint (best.ckpt, written when <c>[train] eval_every</c> measures a lower FID than any before):
    /// the evaluation that chose it (fid, precision, recall, ... at <see cref="GlobalStep"/>); null in other checkpoints.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Evaluation { get; init; }
    /// <summary>Autoencoder checkpoints: the largest |latent| over the training images checked at the end of training (the recommended latent scale factor).</summary>
    public double? LatentMaxAbs { get; init; }

    public SampleShape DataShape => new(DataChannels, DataHeight, DataWidth);

    /// <summary>Where the trainer stood when this checkpoint was written.</summary>
    public Training.TrainerPosition Position =>
        new(GlobalStep, Epoch, BatchInEpoch, DataOrderAtEpochStart is { } s ? Convert.FromBase64String(s) : null);

    /// <summary>This meta data with the trainer's position written in.</summary>
    public CheckpointMeta At(Training.TrainerPosition position) => this with
    {
        GlobalStep = position.GlobalStep,
        Epoch = position.Epoch,
        BatchInEpoch = position.BatchInEpoch,
        DataOrderAtEpochStart = position.DataOrderAtEpochStart is { } order ? Convert.ToBase64String(order) : null,
    };
}

/// <summary>A checkpoint that cannot be read, with the file and what to do.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A checkpoint is one zip file: the resolved recipe (so the components can be rebuilt), meta.json, and the state of
/// every module, optimiser and random stream in TorchSharp's state-dict format. It is written to a temporary file and
/// renamed into place, so a crash never leaves a half-written checkpoint where a good one was.
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;
    public const string RecipeEntry = "recipe.toml";
    public const string MetaEntry = "meta.json";
    /// <summary>The file name of a run's latest checkpoint, in its checkpoints/ folder.</summary>
    public const string LatestName = "latest.ckpt";
    /// <summary>The file name of a run's best checkpoint by FID during training (<c>[train] eval_every</c>), beside latest.ckpt.</summary>
    public const string BestName = "best.ckpt";

    /// <summary>A checkpoint path as given, or a run directory's latest checkpoint.</summary>
    public static string ResolvePath(string pathOrRun) =>
        Directory.Exists(pathOrRun) ? Path.Combine(pathOrRun, "checkpoints", LatestName) : pathOrRun;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes a checkpoint atomically. <paramref name="modules"/>, <paramref name="optimizers"/> and <paramref name="generators"/> are named entries.</summary>
    public static void Save(string path, string recipeToml, CheckpointMeta meta,
        IEnumerable<(string Name, nn.Module Module)> modules,
        IEnumerable<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> optimizers,
        IEnumerable<(string Name, Generator Generator)> generators)
    {
        WriteAtomically(path, zip =>
        {
            WriteText(zip, RecipeEntry, recipeToml);
            WriteText(zip, MetaEntry, JsonSerializer.Serialize(meta, Json));
            foreach (var (name, module) in modules)
                WriteBinary(zip, $"modules/{name}.bin", w => module.save(w));
            foreach (var (name, optimizer) in optimizers)
                WriteBinary(zip, $"optimizers/{name}.bin", w => optimizer.save_state_dict(w));
            foreach (var (name, generator) in generators)
            {
                using var state = generator.get_state();
                var bytes = state.data<byte>().ToArray();
                WriteBinary(zip, $"rng/{name}.bin", w => w.Write(bytes));
            }
        });
    }

    /// <summary>
    /// Writes a release copy of a checkpoint: the given recipe, the meta data and only the named modules (no optimiser or
    /// RNG state, no discriminator), atomically. Returns the names of the modules kept.
    /// </summary>
    public static IReadOnlyList<string> SaveRelease(string sourcePath, string destinationPath, string recipeToml, IReadOnlyList<string> modules)
    {
        using var source = Open(sourcePath);
        var kept = modules.Where(source.HasModule).ToList();
        if (kept.Count == 0)
            throw new CheckpointException($"{sourcePath}: none of the modules {string.Join(", ", modules)} is in the checkpoint.");
        WriteAtomically(destinationPath, zip =>
        {
            WriteText(zip, RecipeEntry, recipeToml);
            WriteText(zip, MetaEntry, JsonSerializer.Serialize(source.Meta, Json));
            foreach (var name in kept)
                WriteBinary(zip, $"modules/{name}.bin", w => source.CopyModuleBytes(name, w.BaseStream));
        });
        return kept;
    }

    public static CheckpointReader Open(string path)
    {
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: checkpoint not found. Pass a .ckpt file or a run directory (runs/<name>).");
        try
        {
            return new CheckpointReader(path, ZipFile.OpenRead(path));
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path}: not a valid LddGan checkpoint (the zip container is damaged or truncated: {e.Message}).", e);
        }
    }

    /// <summary>Writes the zip to a temporary file, flushes it to disk, then renames it over <paramref name="path"/>: a reader never sees half a file.</summary>
    private static void WriteAtomically(string path, Action<ZipArchive> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        TemporaryFiles.RemoveStale(path);
        string temp = TemporaryFiles.NameFor(path);
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true)) write(zip);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    private static void WriteText(ZipArchive zip, string name, string text)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.Optimal).Open());
        writer.Write(text);
    }

    private static void WriteBinary(ZipArchive zip, string name, Action<BinaryWriter> write)
    {
        // Tensor bytes barely compress; storing keeps save/load fast.
        using var writer = new BinaryWriter(zip.CreateEntry(name, CompressionLevel.NoCompression).Open());
        write(writer);
    }
}

/// <summary>Reads the parts of a checkpoint; every failure names the file and the part.</summary>
public sealed class CheckpointReader(string path, ZipArchive zip) : IDisposable
{
    public string Path => path;

    public string RecipeToml => ReadText(CheckpointFile.RecipeEntry);

    public CheckpointMeta Meta
    {
        get
        {
            var meta = JsonSerializer.Deserialize<CheckpointMeta>(ReadText(CheckpointFile.MetaEntry))
                       ?? throw new CheckpointException($"{path}: meta.json is empty.");
            if (meta.Format != CheckpointFile.FormatVersion)
                throw new CheckpointException($"{path}: checkpoint format {meta.Format} is not supported by this version (expects {CheckpointFile.FormatVersion}).");
            return meta;
        }
    }

    public bool Has(string entry) => zip.GetEntry(entry) is not null;
    public bool HasModule(string name) => Has($"modules/{name}.bin");

    public void LoadModule(string name, nn.Module module)
    {
        using var reader = new BinaryReader(ReadEntry($"modules/{name}.bin"));
        try { module.load(reader, strict: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or EndOfStreamException)
        {
            throw new CheckpointException(
                $"{path}: the weights of '{name}' do not fit the {module.GetName()} built from the checkpoint's recipe ({e.Message}).", e);
        }
    }

    /// <summary>Copies a module's stored bytes unchanged (for release copies).</summary>
    public void CopyModuleBytes(string name, Stream destination) => ReadEntry($"modules/{name}.bin").CopyTo(destination);

    public void LoadOptimizer(string name, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        using var reader = new BinaryReader(ReadEntry($"optimizers/{name}.bin"));
        try { optimizer.load_state_dict(reader); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException)
        {
            throw new CheckpointException($"{path}: optimiser state '{name}' does not match ({e.Message}).", e);
        }
    }

    public bool HasGenerator(string name) => Has($"rng/{name}.bin");

    /// <summary>
    /// Restores every stream of a run. Returns a note for the user when the checkpoint predates the saved global
    /// stream: it then stays as seeded, and a network with dropout draws other masks than an uninterrupted run would.
    /// </summary>
    public string? LoadRandomStreams(RandomStreams streams)
    {
        string? note = null;
        foreach (var (name, generator) in streams.All())
        {
            if (name == RandomStreams.GlobalStreamName && !HasGenerator(name))
            {
                note = $"{path} predates the saved global random stream: dropout masks (where a network has dropout) start over, " +
                       "so the run continues, but not bit for bit as an uninterrupted one would.";
                continue;
            }
            LoadGenerator(name, generator);
        }
        return note;
    }

    public void LoadGenerator(string name, Generator generator)
    {
        using var stream = ReadEntry($"rng/{name}.bin");
        using var state = torch.tensor(((MemoryStream)stream).ToArray());
        generator.set_state(state);
    }

    private string ReadText(string entry)
    {
        using var reader = new StreamReader(ReadEntry(entry));
        return reader.ReadToEnd();
    }

    private Stream ReadEntry(string entry)
    {
        var e = zip.GetEntry(entry) ?? throw new CheckpointException($"{path}: '{entry}' is missing; the file is not a complete LddGan checkpoint.");
        var memory = new MemoryStream();
        try
        {
            using var s = e.Open();
            s.CopyTo(memory);
        }
        catch (InvalidDataException ex)
        {
            throw new CheckpointException($"{path}: '{entry}' is damaged ({ex.Message}).", ex);
        }
        // Stored (uncompressed) entries are read without any check; compare every entry with the CRC-32 the zip
        // recorded when it was written, so a damaged file is refused by name instead of loading wrong weights.
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(memory.GetBuffer().AsSpan(0, (int)memory.Length));
        if (crc != e.Crc32)
            throw new CheckpointException($"{path}: '{entry}' is damaged (its CRC-32 is {crc:x8}, the zip recorded {e.Crc32:x8}): " +
                                          "the file was changed or corrupted after it was written. Use another copy or an earlier checkpoint.");
        memory.Position = 0;
        return memory;
    }

    public void Dispose() => zip.Dispose();
}
