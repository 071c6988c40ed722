using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Plugins.Gaussian;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Gaussian;

/// <summary>Class-conditional models: labels through training, the NCSN++ class embedding, the projection D, classifier-free guidance.</summary>
public sealed class ClassConditioningTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-classes-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static ComponentCatalog Catalog()
    {
        var catalog = TestCatalog.Create();
        catalog.RegisterAssembly(typeof(GaussianDiffusionFactory).Assembly, "gaussian");
        catalog.RegisterAssembly(typeof(LddGan.Plugins.Ddgan.NcsnppGenerator).Assembly, "ddgan");
        return catalog;
    }

    private const string Network = """
        [generator]
        type = "ncsnpp"
        nf = 8
        ch_mult = [1, 2]
        num_res_blocks = 1
        attn_resolutions = []
        nz = 4
        z_emb_dim = 8
        n_mlp = 1
        num_classes = 3
        """;

    private const string Train = """
        [train]
        batch_size = 8
        num_epochs = 1
        max_steps = 6
        lr_g = 1e-3
        lr_d = 1e-3
        ema_decay = 0.9
        log_every = 1
        sample_every = 0
        checkpoint_every = 0
        preview_count = 6
        """;

    private static string GaussianRecipe(string data = "type = \"test-labeled-blobs\"") => $"""
        name = "conditional-ddpm"
        seed = 9

        [data]
        {data}

        [diffusion]
        type = "ddpm"
        num_timesteps = 10
        beta_max = 5.0

        {Network}
        not_use_tanh = true

        {Train}
        label_dropout = 0.5

        [sample]
        sampler = "ddim"
        steps = 5
        guidance_scale = 2.0
        """;

    private static string GanRecipe(int discriminatorClasses) => $"""
        name = "conditional-ddgan"
        seed = 9

        [data]
        type = "test-labeled-blobs"

        [diffusion]
        type = "vp"
        num_timesteps = 2

        {Network}
        class_embedding = "style"

        [discriminator]
        type = "conv-small"
        ch = 8
        num_layers = 2
        num_classes = {discriminatorClasses}

        {Train}
        """;

    private TrainingSession Session(string recipeText, string name) =>
        new(new RecipeLoader(Catalog()).Parse(recipeText, $"{name}.toml"), Catalog(), [],
            new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name) }, new TextTrainingObserver(TextWriter.Null));

    [Test]
    public void AClassConditionalGaussianModelTrainsWithLabelDropoutAndSamplesEachClassGuided()
    {
        using (var session = Session(GaussianRecipe(), "ddpm")) session.Run();
        using var model = DiffusionModel.Load(Path.Combine(_dir, "ddpm"), Catalog());
        using var labels = tensor(new long[] { 0, 0, 1, 1, 2, 2 });
        using var samples = model.Sample(6, seed: 4, classLabels: labels);
        using var again = model.Sample(6, seed: 4, classLabels: labels);
        using var otherClasses = model.Sample(6, seed: 4, classLabels: tensor(new long[] { 2, 2, 0, 0, 1, 1 }));
        Assert.Multiple(() =>
        {
            Assert.That(model.NumClasses, Is.EqualTo(3));
            Assert.That(model.NumFunctionEvaluations(), Is.EqualTo(10), "DDIM 5 steps, guided: two network calls per step");
            Assert.That(samples.isfinite().all().item<bool>());
            Assert.That(samples.allclose(again, rtol: 0, atol: 0), "the same seed and classes give the same samples");
            Assert.That(samples.allclose(otherClasses, rtol: 0, atol: 1e-4), Is.False, "the class changes the samples");
        });
    }

    [Test]
    public void AClassConditionalDiffusionGanTrainsWithAProjectionDiscriminator()
    {
        using (var session = Session(GanRecipe(discriminatorClasses: 3), "ddgan")) session.Run();
        using var model = DiffusionModel.Load(Path.Combine(_dir, "ddgan"), Catalog());
        using var samples = model.Sample(6, seed: 4);
        Assert.That(samples.isfinite().all().item<bool>());
    }

    [Test]
    public void AnUnconditionalDiscriminatorBesideAConditionalGeneratorIsRefusedNamingTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Session(GanRecipe(discriminatorClasses: 0), "mismatch").Dispose());
        Assert.That(error!.Message, Does.Contain("num_classes = 3 in [discriminator]"));
    }

    [Test]
    public void AConditionalModelOnADatasetWithoutLabelsIsRefusedNamingTheDataset()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Session(GaussianRecipe("type = \"test-blobs\"\ncount = 48"), "unlabeled").Dispose());
        Assert.That(error!.Message, Does.Contain("\"blobs\" has no labels").And.Contain("num_classes"));
    }

    /// <summary>A network whose output is its label: guidance must give out(∅) + s·(out(y) − out(∅)).</summary>
    private sealed class LabelEcho() : Denoiser(nameof(LabelEcho))
    {
        public override int NoiseDim => 1;
        public override int NumClasses => 3;
        public override Tensor forward(Tensor x, Tensor t, Tensor z) => throw new InvalidOperationException("called without labels");
        public override Tensor forward(Tensor x, Tensor t, Tensor z, Tensor classLabels) =>
            classLabels.to(ScalarType.Float32).reshape(-1, 1).expand(x.shape).contiguous();
    }

    [Test]
    public void ClassifierFreeGuidanceCombinesTheConditionalAndUnconditionalOutputs()
    {
        using var process = new GaussianDiffusionProcess(new GaussianDiffusionOptions { NumTimesteps = 4, BetaMax = 1.6, BetaMin = 0.4 });
        using var echo = new LabelEcho();
        using var labels = tensor(new long[] { 1, 2 });
        using var x = zeros(2, 1);
        using var t = zeros(2, ScalarType.Int64);
        float[] Guided(double scale) =>
            new GaussianSampler(process, new GaussianSamplerSettings(GuidanceScale: scale)).Network(echo, labels)(x, t).data<float>().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Guided(0), Is.EqualTo(new[] { 3f, 3f }), "s = 0: the unconditional output (label 3 = no class)");
            Assert.That(Guided(1), Is.EqualTo(new[] { 1f, 2f }), "s = 1: the conditional output");
            Assert.That(Guided(3), Is.EqualTo(new[] { -3f, 0f }), "s = 3: 3 + 3·(y − 3)");
        });
    }
}
