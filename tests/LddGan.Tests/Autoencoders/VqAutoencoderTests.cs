using LddGan.Abstractions;
using LddGan.Layers;
using LddGan.Plugins.Ddgan;
using LddGan.Plugins.Lddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Autoencoders;

/// <summary>LDDGAN's first stage (reference-models §7.1, §7.4): sizes, LDM/taming keys, quantiser behaviour.</summary>
[NonParallelizable]
public sealed class VqAutoencoderTests
{
    private static readonly SampleShape Cifar = new(3, 32, 32);

    [TestCase(50, 41_961_243L)]
    [TestCase(100, 41_974_043L)]
    public void LddganCifarGeneratorPlusDecoderHasThePublishedCount(int nz, long expected)
    {
        // Generator: plain NCSN++ on 4x16x16 latents (nf 128, ch_mult [1, 2, 2], 2 blocks, no attention, n_mlp 4).
        var generatorOptions = new NcsnppOptions { ChMult = [1, 2, 2], AttnResolutions = [32], Nz = nz, NMlp = 4 };
        using var g = OnMeta(() => new NcsnppGenerator(generatorOptions, 4, 16));
        // First stage: ch 128, ch_mult [1, 2], 2 blocks, attention at 16, 4 latent channels (f = 2, 4x16x16 latents).
        using var ae = OnMeta(() => new VqAutoencoder(new VqAutoencoderOptions(), Cifar));
        var decoder = CountUnder(ae, "decoder");
        var postQuant = CountUnder(ae, "post_quant_conv");
        TestContext.Out.WriteLine($"nz {nz}: G {CountParameters(g):N0} + decoder {decoder:N0} + post_quant_conv {postQuant} = {CountParameters(g) + decoder + postQuant:N0}");
        Assert.That(decoder, Is.EqualTo(8_631_555L));
        Assert.That(postQuant, Is.EqualTo(20L));
        Assert.That(CountParameters(g) + decoder + postQuant, Is.EqualTo(expected));
    }

    [Test]
    public void EncoderAndCodebookHaveTheExpectedSizes()
    {
        using var ae = OnMeta(() => new VqAutoencoder(new VqAutoencoderOptions(), Cifar));
        // The KL encoder of reference-models §7.4 has 6,015,112 parameters with a doubled 8-channel conv_out; the VQ
        // encoder's conv_out has 4 channels: 9,220 fewer. Codebook 8192 x 4; quant_conv 4 -> 4.
        Assert.That(CountUnder(ae, "encoder"), Is.EqualTo(6_015_112L - 9_220L));
        Assert.That(CountUnder(ae, "quantize"), Is.EqualTo(8192L * 4));
        Assert.That(CountUnder(ae, "quant_conv"), Is.EqualTo(20L));
        Assert.That(ae.LatentShape(Cifar), Is.EqualTo(new SampleShape(4, 16, 16)));
    }

    [Test]
    public void StateDictUsesTheLdmKeys()
    {
        using var ae = OnMeta(() => new VqAutoencoder(new VqAutoencoderOptions(), Cifar));
        var shapes = Shapes(ae);
        var expected = new Dictionary<string, long[]>
        {
            ["encoder.conv_in.weight"] = [128, 3, 3, 3],
            ["encoder.down.0.block.0.norm1.weight"] = [128],
            ["encoder.down.0.downsample.conv.weight"] = [128, 128, 3, 3],
            ["encoder.down.1.block.0.nin_shortcut.weight"] = [256, 128, 1, 1],
            ["encoder.down.1.attn.1.proj_out.weight"] = [256, 256, 1, 1],
            ["encoder.mid.attn_1.q.weight"] = [256, 256, 1, 1],
            ["encoder.mid.block_2.conv2.bias"] = [256],
            ["encoder.norm_out.bias"] = [256],
            ["encoder.conv_out.weight"] = [4, 256, 3, 3],
            ["quant_conv.weight"] = [4, 4, 1, 1],
            ["quantize.embedding.weight"] = [8192, 4],
            ["post_quant_conv.weight"] = [4, 4, 1, 1],
            ["decoder.conv_in.weight"] = [256, 4, 3, 3],
            ["decoder.mid.block_1.norm2.weight"] = [256],
            ["decoder.up.1.block.2.conv1.weight"] = [256, 256, 3, 3],
            ["decoder.up.1.attn.2.k.weight"] = [256, 256, 1, 1],
            ["decoder.up.1.upsample.conv.weight"] = [256, 256, 3, 3],
            ["decoder.up.0.block.0.nin_shortcut.weight"] = [128, 256, 1, 1],
            ["decoder.conv_out.weight"] = [3, 128, 3, 3],
        };
        foreach (var (key, shape) in expected)
        {
            Assert.That(shapes.ContainsKey(key), Is.True, $"missing key {key}");
            Assert.That(shapes[key], Is.EqualTo(shape), key);
        }
        Assert.That(shapes.Keys, Has.None.Contains("down.1.downsample").And.None.Contains("up.0.upsample").And.None.Contains("down.0.attn"),
            "no downsample after the last level, no upsample at level 0, no attention at 32 px");
    }

    private static VqAutoencoderOptions Tiny() => new()
    {
        Ch = 32, ChMult = [1, 2], NumResBlocks = 1, AttnResolutions = [8], ZChannels = 3, EmbedDim = 3, NEmbed = 16,
    };

    [Test]
    public void QuantiserPicksTheNearestCodeAndPassesGradientsStraightThrough()
    {
        torch.manual_seed(2);
        using var q = new VectorQuantizer(16, 3, beta: 0.25);
        using var scope = NewDisposeScope();
        var z = (randn(2, 3, 4, 4) * 0.1).requires_grad_();
        var (zq, loss) = q.Quantize(z);
        var codebook = q.state_dict()["embedding.weight"];
        // Brute force: the nearest code of every position.
        var flat = z.detach().permute(0, 2, 3, 1).reshape(-1, 3);
        var nearest = cdist(flat, codebook).argmin(1);
        Assert.That(zq.detach().permute(0, 2, 3, 1).reshape(-1, 3).allclose(codebook.index_select(0, nearest)), Is.True);
        // Legacy taming loss: mean((sg[zq] - z)^2) + 0.25 mean((zq - sg[z])^2) = 1.25 mean((zq - z)^2) in value.
        Assert.That(loss.item<float>(), Is.EqualTo(1.25f * (zq.detach() - z.detach()).square().mean().item<float>()).Within(1e-6f));
        zq.sum().backward();
        Assert.That(z.grad!.eq(1).all().item<bool>(), Is.True, "straight-through: d(sum z_q)/dz = 1");
    }

    [Test]
    public void QuantiserFindsTheNearestCodeAcrossItsCpuChunks()
    {
        // 512 codes: the CPU path compares 512 latent vectors at a time, so 3 × 20 × 20 = 1,200 vectors span two full
        // chunks and a partial one. Every chosen code must be at the minimum distance (brute force, all pairs at once).
        torch.manual_seed(5);
        using var q = new VectorQuantizer(512, 2, beta: 0.25);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = randn(3, 2, 20, 20) * 0.002;   // the codebook's scale (U(±1/512)): many codes are nearest somewhere
        var codes = q.NearestCodes(z);
        Assert.That(codes.shape, Is.EqualTo(new long[] { 3, 20, 20 }));
        var codebook = q.state_dict()["embedding.weight"];
        var flat = z.permute(0, 2, 3, 1).reshape(-1, 2);
        var allDistances = (flat.unsqueeze(1) - codebook.unsqueeze(0)).square().sum(2);
        var chosen = allDistances.gather(1, codes.reshape(-1, 1)).squeeze(1);
        var minimum = allDistances.min(1).values;
        Assert.That((chosen - minimum).abs().max().item<float>(), Is.LessThan(1e-7f));
        Assert.That(codes.unique().Item1.shape[0], Is.GreaterThan(100), "the latents reach many codes, so the check is not trivial");
    }

    [Test]
    public void EncodeDecodeAndReconstructAgree()
    {
        torch.manual_seed(4);
        using var ae = new VqAutoencoder(Tiny(), new SampleShape(1, 16, 16));
        ae.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(2, 1, 16, 16) * 2 - 1;
        var latent = ae.Encode(x);
        Assert.That(latent.shape, Is.EqualTo(new long[] { 2, 3, 8, 8 }));
        var decoded = ae.Decode(latent);
        var output = ae.Reconstruct(x);
        Assert.That(decoded.shape, Is.EqualTo(new long[] { 2, 1, 16, 16 }));
        Assert.That(decoded.allclose(output.Reconstruction, rtol: 1e-5, atol: 1e-6), Is.True, "Decode(Encode(x)) quantises like the training pass");
        Assert.That(output.Reconstruction.abs().max().item<float>(), Is.LessThanOrEqualTo(1f), "tanh_out");
        Assert.That(ae.CodeIndices(x).shape, Is.EqualTo(new long[] { 2, 8, 8 }));
        Assert.That(ae.CodeIndices(x).max().item<long>(), Is.InRange(0L, 15L));
        Assert.Throws<ArgumentException>(() => ae.Encode(rand(2, 3, 16, 16)));
        Assert.Throws<ArgumentException>(() => new VqAutoencoder(Tiny(), new SampleShape(1, 15, 15)));
        Assert.That(string.Join("\n", (Tiny() with { Ch = 48 }).Validate()), Does.Contain("ch must be a positive multiple of 32"));
    }

    [Test]
    public void PatchDiscriminatorHasThePix2PixLayout()
    {
        using var d = OnMeta(() => new PatchDiscriminator(new PatchDiscriminatorOptions(), 3));
        var shapes = Shapes(d);
        // taming NLayerDiscriminator(input_nc 3, ndf 64, n_layers 3): 2,765,633 parameters.
        Assert.That(CountParameters(d), Is.EqualTo(2_765_633L));
        Assert.That(shapes["main.0.weight"], Is.EqualTo(new long[] { 64, 3, 4, 4 }));
        Assert.That(shapes.ContainsKey("main.2.bias"), Is.False, "convolutions before BatchNorm have no bias");
        Assert.That(shapes["main.3.running_mean"], Is.EqualTo(new long[] { 128 }));
        Assert.That(shapes["main.11.weight"], Is.EqualTo(new long[] { 1, 512, 4, 4 }));
        using var small = new PatchDiscriminator(new PatchDiscriminatorOptions { Ndf = 8, NumLayers = 2 }, 1);
        using var scope = NewDisposeScope();
        Assert.That(small.call(randn(2, 1, 32, 32)).shape, Is.EqualTo(new long[] { 2, 1, 6, 6 }));
    }
}
