using System.Reflection;
using System.Text.Json;
using LddGan.Abstractions;
using LddGan.Layers;
using LddGan.Plugins.Ddgan;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

public sealed class FactoryTests
{
    private static ComponentContext Context(SampleShape latent) => new(latent, latent, NumTimesteps: 4, Device: CPU);

    [TestCase(typeof(NcsnppFactory), ComponentKind.Denoiser, "ncsnpp", typeof(NcsnppOptions), typeof(NcsnppGenerator))]
    [TestCase(typeof(SmallDiscriminatorFactory), ComponentKind.Discriminator, "ddgan-small", typeof(SmallDiscriminatorOptions), typeof(SmallDiscriminator))]
    [TestCase(typeof(LargeDiscriminatorFactory), ComponentKind.Discriminator, "ddgan-large", typeof(LargeDiscriminatorOptions), typeof(LargeDiscriminator))]
    [TestCase(typeof(ToyMlpGeneratorFactory), ComponentKind.Denoiser, "toy-mlp", typeof(ToyMlpGeneratorOptions), typeof(ToyMlpGenerator))]
    [TestCase(typeof(ToyMlpDiscriminatorFactory), ComponentKind.Discriminator, "toy-mlp", typeof(ToyMlpDiscriminatorOptions), typeof(ToyMlpDiscriminator))]
    public void FactoriesAreRegisteredUnderTheirNames(Type factory, ComponentKind kind, string name, Type options, Type component)
    {
        var attribute = factory.GetCustomAttribute<ComponentAttribute>();
        Assert.That(attribute, Is.Not.Null);
        Assert.That(attribute!.Kind, Is.EqualTo(kind));
        Assert.That(attribute.Name, Is.EqualTo(name));
        Assert.That(attribute.Description, Is.Not.Empty);
        var instance = (IComponentFactory)Activator.CreateInstance(factory)!;
        Assert.That(instance.OptionsType, Is.EqualTo(options));
        Assert.That(instance.ComponentType, Is.EqualTo(component));
        Assert.That(instance.CreateDefaultOptions(), Is.InstanceOf(options));
        Assert.That(((IValidatableOptions)instance.CreateDefaultOptions()).Validate(), Is.Empty);
        var expectedBase = kind == ComponentKind.Denoiser ? typeof(Denoiser) : typeof(Discriminator);
        Assert.That(expectedBase.IsAssignableFrom(component), Is.True);
    }

    [Test]
    public void OptionsSerialiseWithTheOfficialSnakeCaseKeys()
    {
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        string[] Keys(object o) => JsonDocument.Parse(JsonSerializer.Serialize(o, o.GetType(), json)).RootElement
            .EnumerateObject().Select(p => p.Name).ToArray();
        Assert.That(Keys(new NcsnppOptions()), Is.EquivalentTo(new[]
        {
            "nf", "ch_mult", "num_res_blocks", "attn_resolutions", "dropout", "nz", "z_emb_dim", "n_mlp", "conditional", "fir",
            "fir_kernel", "skip_rescale", "resblock_type", "progressive", "progressive_input", "progressive_combine",
            "embedding_type", "not_use_tanh", "centered", "num_classes", "class_embedding",
        }));
        Assert.That(Keys(new SmallDiscriminatorOptions()), Is.EquivalentTo(new[] { "ngf", "t_emb_dim", "num_layers" }));
        Assert.That(Keys(new ToyMlpGeneratorOptions()), Is.EquivalentTo(new[] { "hidden_dim", "num_hidden_layers", "fourier_octaves", "t_emb_dim", "activation", "nz" }));

        var changed = JsonSerializer.Deserialize<NcsnppOptions>(
            """{"nf": 64, "ch_mult": [1, 1, 2], "n_mlp": 3, "progressive_input": "none", "centered": false}""", json)!;
        Assert.That((changed.Nf, changed.NMlp, changed.ProgressiveInput, changed.Centered), Is.EqualTo((64, 3, "none", false)));
        Assert.That(changed.ChMult, Is.EqualTo(new[] { 1, 1, 2 }));
        Assert.That(changed.ZEmbDim, Is.EqualTo(256), "keys not given keep their defaults");
        var large = JsonSerializer.Deserialize<LargeDiscriminatorOptions>("""{"ngf": 32}""", json)!;
        Assert.That((large.Ngf, large.NumLayers), Is.EqualTo((32, 6)));
    }

    [Test]
    public void FactoriesBuildModulesSizedByTheLatentShape()
    {
        IComponentFactory ncsnpp = new NcsnppFactory();
        var options = new NcsnppOptions { Nf = 16, ChMult = [1, 2], AttnResolutions = [], Nz = 10, ZEmbDim = 16, NMlp = 1 };
        using (var g = (NcsnppGenerator)ncsnpp.Create(options, Context(new SampleShape(4, 16, 16))))
        {
            Assert.That((g.Channels, g.ImageSize, g.NoiseDim), Is.EqualTo((4, 16, 10)));
        }
        IComponentFactory small = new SmallDiscriminatorFactory();
        using (var d = (SmallDiscriminator)small.Create(new SmallDiscriminatorOptions { Ngf = 4, TEmbDim = 8 }, Context(new SampleShape(3, 32, 32))))
            Assert.That(d.InputChannels, Is.EqualTo(6), "nc = 2 x channels");
        IComponentFactory large = new LargeDiscriminatorFactory();
        using (var d = (LargeDiscriminator)large.Create(new LargeDiscriminatorOptions { Ngf = 4, TEmbDim = 8, NumLayers = 4 }, Context(new SampleShape(4, 32, 32))))
            Assert.That(d.InputChannels, Is.EqualTo(8));
        IComponentFactory toy = new ToyMlpGeneratorFactory();
        using (var g = (ToyMlpGenerator)toy.Create(new ToyMlpGeneratorOptions(), Context(SampleShape.Vector(2))))
            Assert.That(g.DataDim, Is.EqualTo(2));
        IComponentFactory toyD = new ToyMlpDiscriminatorFactory();
        using (var d = (ToyMlpDiscriminator)toyD.Create(new ToyMlpDiscriminatorOptions(), Context(SampleShape.Vector(3))))
            Assert.That(d.DataDim, Is.EqualTo(3));
    }

    [Test]
    public void FactoriesRejectShapesTheyCannotHandle()
    {
        Assert.Throws<ArgumentException>(() => ((IComponentFactory)new NcsnppFactory()).Create(new NcsnppOptions(), Context(SampleShape.Vector(2))));
        Assert.Throws<ArgumentException>(() => ((IComponentFactory)new ToyMlpGeneratorFactory()).Create(new ToyMlpGeneratorOptions(), Context(new SampleShape(1, 8, 8))));
        Assert.Throws<ArgumentException>(() => ((IComponentFactory)new SmallDiscriminatorFactory()).Create(new SmallDiscriminatorOptions(), Context(SampleShape.Vector(2))));
        var error = Assert.Throws<ArgumentException>(() =>
            ((IComponentFactory)new LargeDiscriminatorFactory()).Create(new LargeDiscriminatorOptions { Ngf = 4, TEmbDim = 8 }, Context(new SampleShape(3, 32, 32))));
        Assert.That(error!.Message, Does.Contain("divisible by 64"));
        Assert.Throws<ArgumentException>(() => ((IComponentFactory)new NcsnppFactory()).Create(new ToyMlpGeneratorOptions(), Context(new SampleShape(1, 16, 16))));
    }

    [Test]
    public void FactoryMovesTheModuleToTheRunDevice()
    {
        if (!cuda.is_available())
            Assert.Ignore("no CUDA device here; the move is exercised on GPU machines");
        var context = new ComponentContext(new SampleShape(1, 16, 16), new SampleShape(1, 16, 16), 4, CUDA);
        var options = new NcsnppOptions { Nf = 16, ChMult = [1, 2], AttnResolutions = [8], Nz = 8, ZEmbDim = 16, NMlp = 1 };
        using var g = (NcsnppGenerator)((IComponentFactory)new NcsnppFactory()).Create(options, context);
        Assert.That(g.parameters().All(p => p.device_type == DeviceType.CUDA), Is.True);
        using var scope = NewDisposeScope();
        var y = g.call(randn(2, 1, 16, 16, device: CUDA), tensor(new long[] { 0, 1 }, device: CUDA), randn(2, 8, device: CUDA));
        Assert.That(y.device_type, Is.EqualTo(DeviceType.CUDA));
        Assert.That(g.state_dict().Keys.All(k => k.StartsWith("all_modules.", StringComparison.Ordinal) || k.StartsWith("z_transform.", StringComparison.Ordinal)),
            Is.True, "moving keeps the state-dict keys");
    }
}
