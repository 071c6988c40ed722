using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The discriminator's time embedding (<c>discriminator.TimestepEmbedding</c>): the sinusoidal embedding of t followed by
/// <c>main</c> = dense(embedding → hidden) → LeakyReLU(0.2) → dense(hidden → output), both dense layers with the
/// <see cref="DenseLayerInit"/> initialisation. State-dict keys: <c>main.0.*</c>, <c>main.2.*</c>.
/// (The discriminators apply one more LeakyReLU to the result.)
/// </summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Sequential main;
    private readonly Linear[] _first;   // main.0, kept for its dtype (an array is not registered a second time)

    public int EmbeddingDim { get; }

    public TimestepEmbedding(int embeddingDim, int hiddenDim, int outputDim, double negativeSlope = 0.2)
        : base(nameof(TimestepEmbedding))
    {
        EmbeddingDim = embeddingDim;
        _first = [DenseLayerInit.Dense(embeddingDim, hiddenDim)];
        main = nn.Sequential(
            ("0", _first[0]),
            ("1", nn.LeakyReLU(negativeSlope)),
            ("2", DenseLayerInit.Dense(hiddenDim, outputDim)));
        RegisterComponents();
    }

    /// <param name="t">(B) step indices.</param>
    /// <returns>(B, output_dim).</returns>
    public override Tensor forward(Tensor t)
    {
        using var emb = SinusoidalEmbedding.Compute(t, EmbeddingDim, dtype: _first[0].weight!.dtype);
        return main.call(emb);
    }
}
