using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>Which network of an official checkpoint to read.</summary>
public enum OfficialNetwork { Generator, Discriminator, Autoencoder }

/// <summary>For the official training checkpoint (<c>content.pth</c>): the generator's EMA weights or its raw weights.</summary>
public enum OfficialWeights { Ema, Raw }

/// <summary>One network's weights read from an official file, keys in our (= the official module's) naming.</summary>
public sealed class OfficialStateDict(Dictionary<string, Tensor> tensors, string description, long? globalStep, bool isEma) : IDisposable
{
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;
    /// <summary>Where the weights came from, for the import report.</summary>
    public string Description => description;
    public long? GlobalStep => globalStep;
    /// <summary>True when these are EMA weights (the official releases sample with them).</summary>
    public bool IsEma => isEma;

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}

/// <summary>
/// Reads the official repositories' checkpoint layouts (through <see cref="TorchCheckpointReader"/>, which never runs code):
/// <list type="bullet">
/// <item>DDGAN/WDDGAN <c>netG_{epoch}.pth</c> / <c>netD</c> files: a state dict saved under DistributedDataParallel
/// (keys prefixed <c>module.</c>); train_ddgan.py swaps the EMA weights in before saving netG, so these are EMA weights;</item>
/// <item>the training checkpoint <c>content.pth</c>: <c>netG_dict</c>, <c>netD_dict</c> (raw weights) and the EMA optimiser's
/// state, whose entry i holds <c>ema</c>, the average of the i-th generator parameter;</item>
/// <item>LDM/Lightning autoencoder checkpoints: <c>state_dict</c> with <c>encoder.</c>, <c>decoder.</c>, <c>quantize.</c>, … keys;
/// the loss module (<c>loss.*</c>) is dropped; a full LatentDiffusion checkpoint's <c>first_stage_model.</c> part is taken.</item>
/// </list>
/// </summary>
public static class OfficialCheckpoint
{
    public static OfficialStateDict Read(string path, OfficialNetwork network, OfficialWeights weights = OfficialWeights.Ema)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            // An exchange file (e.g. written by lddgan export, or converted from a legacy .pth): one network's state dict.
            var header = SafetensorsFile.ReadHeader(path);
            bool ema = header.Metadata.TryGetValue("lddgan.module", out var module) ? module == "generator_ema" : network == OfficialNetwork.Generator;
            var flat = Select(StateDictFile.Read(path), k => k.StartsWith("loss.", StringComparison.Ordinal) ? null : k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k);
            return new OfficialStateDict(flat, "safetensors state dict", null, ema);
        }
        using var checkpoint = TorchCheckpointReader.Read(path);
        if (checkpoint.Root is not PickleDict root)
            throw new InteropFormatException($"{path}: holds a {checkpoint.Root.TypeName}, not a state dict or an official checkpoint dict.");

        Dictionary<string, Tensor> tensors;
        string description;
        long? step = root.TryGetValue("global_step", out var s) && s is PickleInt i ? i.Value : null;
        bool isEma;
        if (root.TryGetValue("netG_dict", out _) || root.TryGetValue("netD_dict", out _))
        {
            (tensors, description, isEma) = network switch
            {
                OfficialNetwork.Generator when weights == OfficialWeights.Ema => (EmaWeights(path, root), "content.pth: EMA weights from optimizerG's state (netG_dict key order)", true),
                OfficialNetwork.Generator => (Entry(path, root, "netG_dict"), "content.pth: netG_dict (raw weights)", false),
                OfficialNetwork.Discriminator => (Entry(path, root, "netD_dict"), "content.pth: netD_dict", false),
                _ => throw new InteropFormatException($"{path}: a DDGAN training checkpoint (content.pth) holds no autoencoder."),
            };
        }
        else if (root.TryGetValue("state_dict", out var lightning) && network == OfficialNetwork.Autoencoder)
        {
            tensors = Entry(path, root, "state_dict");
            if (tensors.Keys.Any(k => k.StartsWith("first_stage_model.", StringComparison.Ordinal)))
                tensors = Select(tensors, k => k.StartsWith("first_stage_model.", StringComparison.Ordinal) ? k["first_stage_model.".Length..] : null);
            tensors = Select(tensors, k => k.StartsWith("loss.", StringComparison.Ordinal) ? null : k);
            description = "Lightning checkpoint: state_dict (loss.* dropped)";
            isEma = false;
        }
        else
        {
            tensors = Entry(path, root, null);
            description = "state dict";
            isEma = network == OfficialNetwork.Generator; // netG_{epoch}.pth is written with the EMA weights swapped in
        }
        checkpoint.Release(tensors.Values);
        // DistributedDataParallel and DataParallel prefix every key with "module.".
        tensors = Select(tensors, k => k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k);
        return new OfficialStateDict(tensors, description, step, isEma);
    }

    private static Dictionary<string, Tensor> Entry(string path, PickleDict root, string? entry)
    {
        var value = entry is null ? root : root.TryGetValue(entry, out var v) ? v : throw new InteropFormatException($"{path}: no '{entry}' entry.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Flatten(path, value, "", result);
        return result;
    }

    private static void Flatten(string path, PickleValue value, string prefix, Dictionary<string, Tensor> result)
    {
        if (value is not PickleDict dict)
            throw new InteropFormatException($"{path}: '{prefix.TrimEnd('.')}' is a {value.TypeName}, not a state dict.");
        foreach (var (key, item) in dict.Items)
        {
            if (key is not PickleString name)
                throw new InteropFormatException($"{path}: '{prefix.TrimEnd('.')}' has a key of type {key.TypeName}; not a state dict.");
            switch (item)
            {
                case PickleTensor t: result[prefix + name.Value] = t.Tensor; break;
                case PickleDict: Flatten(path, item, prefix + name.Value + ".", result); break;
                default: break; // e.g. Lightning's bookkeeping next to the tensors
            }
        }
    }

    /// <summary>The official EMA optimiser keeps each parameter's average in <c>optimizerG.state[i].ema</c>, i in parameter order.</summary>
    private static Dictionary<string, Tensor> EmaWeights(string path, PickleDict root)
    {
        var raw = Entry(path, root, "netG_dict");
        if (!root.TryGetValue("optimizerG", out var optimizer) || optimizer is not PickleDict opt || !opt.TryGetValue("state", out var stateValue) || stateValue is not PickleDict state)
            throw new InteropFormatException($"{path}: no optimizerG state to take the EMA weights from; import with --weights raw.");
        var byIndex = state.Items.Where(kv => kv.Key is PickleInt).ToDictionary(kv => ((PickleInt)kv.Key).Value, kv => kv.Value);
        var names = raw.Keys.ToList();
        if (byIndex.Count != names.Count)
            throw new InteropFormatException($"{path}: optimizerG holds state for {byIndex.Count} parameters but netG_dict has {names.Count} entries; cannot pair them to read the EMA weights (import with --weights raw).");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var index = 0; index < names.Count; index++)
        {
            string name = names[index];
            if (!byIndex.TryGetValue(index, out var entry) || entry is not PickleDict parameterState || !parameterState.TryGetValue("ema", out var ema) || ema is not PickleTensor emaTensor)
                throw new InteropFormatException($"{path}: optimizerG.state[{index}] ({name}) has no 'ema' tensor; was the run trained with EMA? Import with --weights raw.");
            if (!emaTensor.Tensor.shape.SequenceEqual(raw[name].shape))
                throw new InteropFormatException($"{path}: optimizerG.state[{index}].ema has shape ({string.Join(", ", emaTensor.Tensor.shape)}) but {name} is ({string.Join(", ", raw[name].shape)}).");
            result[name] = emaTensor.Tensor;
        }
        return result;
    }

    private static Dictionary<string, Tensor> Select(Dictionary<string, Tensor> tensors, Func<string, string?> rename)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
            if (rename(key) is { } renamed) result[renamed] = value;
        return result;
    }
}

/// <summary>Copies a name → tensor dictionary into a module's parameters and buffers, all or nothing.</summary>
public static class StateDictLoading
{
    /// <summary>Checks every key and shape first; copies only when nothing is missing or mismatched (unexpected keys are reported, not fatal).</summary>
    public static LoadReport Load(nn.Module target, IReadOnlyDictionary<string, Tensor> source, bool strictUnexpected = true)
    {
        var own = target.state_dict();
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = source.Where(kv => own.TryGetValue(kv.Key, out var p) && !p.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: file ({string.Join(", ", kv.Value.shape)}), model ({string.Join(", ", own[kv.Key].shape)})").ToList();
        var report = new LoadReport(0, missing, unexpected, mismatched);
        if (!report.IsComplete || (strictUnexpected && unexpected.Count > 0)) return report;
        using (no_grad())
            foreach (var (key, parameter) in own)
            {
                using var scope = NewDisposeScope();   // the converted copy, one per parameter
                parameter.copy_(source[key].to(parameter.dtype, parameter.device));
            }
        return report with { Loaded = own.Count };
    }
}
