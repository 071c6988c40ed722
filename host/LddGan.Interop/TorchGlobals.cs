using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>The globals a checkpoint pickle may name. Each is interpreted by our own code; none is ever called.</summary>
internal enum TorchGlobal
{
    OrderedDict,
    Namespace,
    RebuildTensorV2,
    RebuildParameter,
    Storage,
    CodecsEncode,
    Device,
}

/// <summary>The fixed allow-list, by <c>module.name</c> (after Python 2 module names are mapped as pickle's fix_imports does).</summary>
internal static class TorchGlobals
{
    private static readonly Dictionary<string, TorchGlobal> AllowList = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = TorchGlobal.OrderedDict,
        ["argparse.Namespace"] = TorchGlobal.Namespace,
        ["torch._utils._rebuild_tensor_v2"] = TorchGlobal.RebuildTensorV2,
        ["torch._utils._rebuild_parameter"] = TorchGlobal.RebuildParameter,
        ["_codecs.encode"] = TorchGlobal.CodecsEncode,
        ["torch.device"] = TorchGlobal.Device,
    };

    /// <summary>Storage class names (legacy typed storages, as torch.save still writes them) and their element types.</summary>
    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.DoubleStorage"] = ScalarType.Float64,
        ["torch.FloatStorage"] = ScalarType.Float32,
        ["torch.HalfStorage"] = ScalarType.Float16,
        ["torch.BFloat16Storage"] = ScalarType.BFloat16,
        ["torch.LongStorage"] = ScalarType.Int64,
        ["torch.IntStorage"] = ScalarType.Int32,
        ["torch.ShortStorage"] = ScalarType.Int16,
        ["torch.CharStorage"] = ScalarType.Int8,
        ["torch.ByteStorage"] = ScalarType.Byte,
        ["torch.UntypedStorage"] = ScalarType.Byte,
        ["torch.BoolStorage"] = ScalarType.Bool,
    };

    /// <summary>Every allowed <c>module.name</c>, for documentation and messages.</summary>
    public static IReadOnlyList<string> AllowedNames { get; } = [.. AllowList.Keys, .. StorageTypes.Keys];

    /// <summary>Python 3's name for a module a protocol-2 pickle may spell the Python 2 way.</summary>
    public static string Python3Module(string module) => module switch
    {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        _ => module,
    };

    public static TorchGlobal? Find(string qualifiedName) =>
        AllowList.TryGetValue(qualifiedName, out var global) ? global
        : StorageTypes.ContainsKey(qualifiedName) ? TorchGlobal.Storage
        : null;

    public static ScalarType StorageElementType(string qualifiedName) => StorageTypes[qualifiedName];
}
