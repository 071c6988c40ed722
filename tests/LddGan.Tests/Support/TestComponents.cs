using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Support;

/// <summary>A tiny MLP denoiser over flattened samples, for fast engine tests independent of the plugins.</summary>
public sealed class TinyDenoiser : Denoiser
{
    private readonly nn.Module<Tensor, Tensor> net;
    private readonly long[] _shape;
    private readonly int _nz;

    public TinyDenoiser(SampleShape shape, int nz = 4, int hidden = 32, int timesteps = 4) : base(nameof(TinyDenoiser))
    {
        _shape = shape.WithBatch(-1);
        _nz = nz;
        int d = (int)shape.Elements;
        net = nn.Sequential(nn.Linear(d + nz + timesteps, hidden), nn.SiLU(), nn.Linear(hidden, d), nn.Tanh());
        Timesteps = timesteps;
        RegisterComponents();
    }

    public int Timesteps { get; }
    public override int NoiseDim => _nz;

    public override Tensor forward(Tensor x, Tensor t, Tensor z)
    {
        using var flat = x.flatten(1);
        using var tOneHot = nn.functional.one_hot(t, Timesteps).to(x.dtype);
        using var input = cat([flat, z, tOneHot], 1);
        using var y = net.call(input);
        return y.view(_shape);
    }
}

public sealed class TinyDiscriminator : Discriminator
{
    private readonly nn.Module<Tensor, Tensor> net;
    private readonly int _timesteps;

    public TinyDiscriminator(SampleShape shape, int hidden = 32, int timesteps = 4) : base(nameof(TinyDiscriminator))
    {
        _timesteps = timesteps;
        int d = (int)shape.Elements;
        net = nn.Sequential(nn.Linear(2 * d + timesteps, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor t, Tensor xCond)
    {
        using var a = x.flatten(1);
        using var b = xCond.flatten(1);
        using var tOneHot = nn.functional.one_hot(t, _timesteps).to(x.dtype);
        using var input = cat([a, b, tOneHot], 1);
        return net.call(input);
    }
}

/// <summary>Deterministic little images: a bright square at a position that depends on the index.</summary>
public sealed class BlobDataset(int count, int size = 8) : IDataset
{
    public string Name => "blobs";
    public long Count => count;
    public SampleShape Shape => new(1, size, size);

    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
    {
        var data = new float[indices.Length * size * size];
        Array.Fill(data, -1f);
        for (int i = 0; i < indices.Length; i++)
        {
            int offset = (int)(indices[i] % (size - 2));
            for (int y = offset; y < offset + 3 && y < size; y++)
                for (int x = offset; x < offset + 3 && x < size; x++)
                    data[i * size * size + y * size + x] = 1f;
        }
        var batch = torch.tensor(data).view(indices.Length, 1, size, size);
        if (augmentation is not null)
        {
            // A random flip, so tests exercise the augmentation stream.
            using var flip = torch.rand([indices.Length], generator: augmentation).lt(0.5).view(-1, 1, 1, 1);
            using var flipped = batch.flip(3);
            var result = torch.where(flip, flipped, batch);
            batch.Dispose();
            return result;
        }
        return batch;
    }

    public void Dispose() { }
}

public sealed record TinyOptions { public int Hidden { get; init; } = 32; public int Nz { get; init; } = 4; }
public sealed record BlobOptions { public int Count { get; init; } = 64; public int Size { get; init; } = 8; }

[Component(ComponentKind.Denoiser, "test-tiny")]
public sealed class TinyDenoiserFactory : ComponentFactory<TinyOptions, TinyDenoiser>
{
    public override TinyDenoiser Create(TinyOptions o, ComponentContext c) => new(c.LatentShape, o.Nz, o.Hidden, c.NumTimesteps);
}

[Component(ComponentKind.Discriminator, "test-tiny")]
public sealed class TinyDiscriminatorFactory : ComponentFactory<TinyOptions, TinyDiscriminator>
{
    public override TinyDiscriminator Create(TinyOptions o, ComponentContext c) => new(c.LatentShape, o.Hidden, c.NumTimesteps);
}

[Component(ComponentKind.Dataset, "test-blobs")]
public sealed class BlobDatasetFactory : ComponentFactory<BlobOptions, BlobDataset>
{
    public override BlobDataset Create(BlobOptions o, ComponentContext c) => new(o.Count, o.Size);
}

public static class TestCatalog
{
    /// <summary>Built-ins plus the test components above.</summary>
    public static LddGan.Engine.Components.ComponentCatalog Create()
    {
        var catalog = LddGan.Engine.Components.ComponentCatalog.WithBuiltIns(LddGan.Evaluation.BuiltInComponents.Assemblies);
        catalog.RegisterAssembly(typeof(TestCatalog).Assembly, "tests");
        return catalog;
    }

    public const string TinyRecipe = """
        name = "tiny"
        seed = 7

        [data]
        type = "test-blobs"
        count = 64

        [diffusion]
        type = "vp"
        num_timesteps = 4

        [generator]
        type = "test-tiny"

        [discriminator]
        type = "test-tiny"

        [train]
        batch_size = 8
        num_epochs = 3
        lr_g = 1e-3
        lr_d = 1e-3
        lazy_reg = 2
        r1_gamma = 0.1
        ema_decay = 0.9
        log_every = 1
        sample_every = 0
        checkpoint_every = 0
        preview_count = 4
        """;
}

/// <summary>The blobs of <see cref="BlobDataset"/> with class labels: sample i is class i mod classes.</summary>
public sealed class LabeledBlobDataset(int count, int size, int classes) : ILabeledDataset
{
    private readonly BlobDataset _blobs = new(count, size);
    public string Name => "labeled-blobs";
    public long Count => count;
    public SampleShape Shape => _blobs.Shape;
    public IReadOnlyList<string> ClassNames { get; } = [.. Enumerable.Range(0, classes).Select(c => $"class {c}")];
    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null) => _blobs.GetBatch(indices, augmentation);
    public Tensor GetLabels(ReadOnlySpan<long> indices) => torch.tensor(indices.ToArray().Select(i => i % classes).ToArray());
    public void Dispose() { }
}

public sealed record LabeledBlobOptions { public int Count { get; init; } = 48; public int Size { get; init; } = 8; public int Classes { get; init; } = 3; }

[Component(ComponentKind.Dataset, "test-labeled-blobs")]
public sealed class LabeledBlobDatasetFactory : ComponentFactory<LabeledBlobOptions, LabeledBlobDataset>
{
    public override LabeledBlobDataset Create(LabeledBlobOptions o, ComponentContext c) => new(o.Count, o.Size, o.Classes);
}
