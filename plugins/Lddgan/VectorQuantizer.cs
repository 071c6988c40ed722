using TorchSharp;
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

    // Latent vectors compared with the codebook at a time on the CPU. A 100-image batch of 16x16 latents against 512
    // codes is a 50 MB distance matrix, which the CPU allocator maps fresh and page-faults on every call (4-18x slower
    // than in chunks, measured beside a training); 2^18 distances (1 MB) stay in cache. Each distance is computed as
    // before, so the codes are identical.
    // The CUDA caching allocator reuses its blocks: one matrix there.
    private const long CpuDistancesPerChunk = 1L << 18;

    /// <summary>Index of the nearest codebook entry for every position, (B, H, W).</summary>
    public Tensor NearestCodes(Tensor z)
    {
        using var scope = NewDisposeScope();
        var flat = z.permute(0, 2, 3, 1).reshape(-1, EmbedDim);
        var codebook = embedding.weight!;
        var codebookSquares = codebook.square().sum(1);
        var codebookT = codebook.t();
        long count = flat.shape[0];
        long rows = z.device_type == DeviceType.CPU ? Math.Max(1, CpuDistancesPerChunk / CodebookSize) : count;
        var codes = new List<Tensor>();
        for (long start = 0; start < count; start += rows)
        {
            using var chunkScope = NewDisposeScope();
            var chunk = flat.narrow(0, start, Math.Min(rows, count - start));
            // ||z||² + ||e||² − 2 z·e, the reference's expansion, so ties resolve as there
            var distances = chunk.square().sum(1, keepdim: true) + codebookSquares - 2 * chunk.matmul(codebookT);
            codes.Add(distances.argmin(1).MoveToOuterDisposeScope());
        }
        return cat(codes, 0).reshape(z.shape[0], z.shape[2], z.shape[3]).MoveToOuterDisposeScope();
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
