using LddGan.Engine.Models;
using LddGan.Engine.Sessions;

namespace LddGan.Interop;

/// <summary>
/// A checkpoint's sampling generator as a safetensors state dict for exchange: keys as the official PyTorch modules (so
/// PyTorch code can load it with <c>safetensors.torch.load_file</c>), the recipe and data shape in the metadata.
/// <c>lddgan import FILE.safetensors --model … --config recipe</c> reads it back.
/// </summary>
public static class SafetensorsExport
{
    public static (string Module, int Tensors) Write(DiffusionModel session, string destination, string recipeToml)
    {
        string module = session.UsesEma ? "generator_ema" : "generator";
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["lddgan.module"] = module,
            ["lddgan.recipe"] = recipeToml,
            ["lddgan.data_shape"] = $"{session.Meta.DataChannels},{session.Meta.DataHeight},{session.Meta.DataWidth}",
        };
        var tensors = session.Generator.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();
        SafetensorsFile.Write(destination, tensors, metadata);
        return (module, tensors.Count);
    }
}
