using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The generator's mapping network <c>z_transform</c>: PixelNorm → dense(nz → z_emb) → SiLU → n_mlp × [dense(z_emb → z_emb) → SiLU],
/// with the <see cref="DenseLayerInit"/> initialisation. State-dict keys follow the official <c>nn.Sequential</c>:
/// dense layers at 1, 3, 5, …
/// </summary>
public static class MappingNetwork
{
    public static Sequential Create(int nz, int zEmbDim, int nMlp)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", new PixelNorm()),
            ("1", DenseLayerInit.Dense(nz, zEmbDim)),
            ("2", nn.SiLU()),
        };
        for (var i = 0; i < nMlp; i++)
        {
            layers.Add(((3 + 2 * i).ToString(), DenseLayerInit.Dense(zEmbDim, zEmbDim)));
            layers.Add(((4 + 2 * i).ToString(), nn.SiLU()));
        }
        return nn.Sequential(layers);
    }
}
