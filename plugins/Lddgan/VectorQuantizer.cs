using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// The codebook (taming's <c>VectorQuantizer2</c>, <c>legacy = true</c>, as LDM's VQModel uses it): every latent vector is
/// replaced by its nearest codebook entry (L2); the loss is mean((sg[z_q] − z)²) + β·mean((z_q − sg[z])²) — the legacy
/// order, which puts β on the codebook term (the VQ-VAE paper puts it on the commitment term); gradients pass to z
/// by the straight-through estimator z + sg[z_q − z]. Key: <c>embedding.weight</c> (n_embed, embed_dim), initialised
/// U(−1/n_embed, 1/n_embed).
/// </summary>
public sealed class VectorQuantizer : nn.Module
{
    private readonly Embedding embedding;
    private readonly double _beta;

    public int CodebookSize { get; }
    public int EmbedDim { get; }

    public VectorQuantizer(int codebookSize, int embedDim, double beta) : base(nameof(VectorQuantizer))
    {
        CodebookSize = codebookSize;
        EmbedDim = embedDim;
        _beta = beta;
        embedding = nn.Embedding(codebookSize, embedDim);
        using (no_grad()) nn.init.uniform_(embedding.weight!, -1.0 / codebookSize, 1.0 / codebookSize);
        RegisterComponents();
    }

    /// <summary>Index of the nearest codebook entry for every position, (B, H, W).</summary>
    public Tensor NearestCodes(Tensor z)
    {
        using var scope = NewDisposeScope();
        var flat = z.permute(0, 2, 3, 1).reshape(-1, EmbedDim);
        var codebook = embedding.weight!;
        var distances = flat.square().sum(1, keepdim: true) + codebook.square().sum(1) - 2 * flat.matmul(codebook.t());
        return distances.argmin(1).reshape(z.shape[0], z.shape[2], z.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>Quantises z (B, embed_dim, H, W); returns z_q with straight-through gradients and the codebook loss.</summary>
    public (Tensor Quantized, Tensor Loss) Quantize(Tensor z)
    {
        if (z.dim() != 4 || z.shape[1] != EmbedDim)
            throw new ArgumentException($"the quantiser expects (B, {EmbedDim}, H, W), got ({string.Join(", ", z.shape)})");
        using var scope = NewDisposeScope();
        var zq = embedding.call(NearestCodes(z)).permute(0, 3, 1, 2);
        var loss = (zq.detach() - z).square().mean() + _beta * (zq - z.detach()).square().mean();
        var straightThrough = z + (zq - z).detach();
        return (straightThrough.MoveToOuterDisposeScope(), loss.MoveToOuterDisposeScope());
    }
}
