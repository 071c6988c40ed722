using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using LddGan.Engine.Training;
using LddGan.Plugins.Gaussian;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Gaussian;

/// <summary>The Gaussian diffusion family: its schedules, the DDPM and DDIM samplers, its recipes and its training runs.</summary>
public sealed class GaussianDiffusionTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-gaussian-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static ComponentCatalog Catalog()
    {
        var catalog = TestCatalog.Create();
        catalog.RegisterAssembly(typeof(GaussianDiffusionFactory).Assembly, "gaussian");
        catalog.RegisterAssembly(typeof(LddGan.Plugins.Ddgan.NcsnppGenerator).Assembly, "ddgan");
        return catalog;
    }

    [Test]
    public void TheLinearScheduleIsDdpmsAndTheCosineScheduleStaysBelowOne()
    {
        var linear = GaussianSchedule.From(new GaussianDiffusionOptions());
        var cosine = GaussianSchedule.From(new GaussianDiffusionOptions { BetaSchedule = "cosine" });
        Assert.Multiple(() =>
        {
            Assert.That(linear.Betas[1], Is.EqualTo(1e-4).Within(1e-12), "Ho et al.: beta_1 = 1e-4");
            Assert.That(linear.Betas[1000], Is.EqualTo(0.02).Within(1e-12), "Ho et al.: beta_T = 0.02");
            Assert.That(linear.AlphasCumprod[1000], Is.EqualTo(4.036e-5).Within(1e-7), "DDPM's alphas_cumprod[-1]");
            Assert.That(cosine.Betas.Skip(1).Max(), Is.LessThanOrEqualTo(0.999));
            Assert.That(cosine.AlphasCumprod, Is.Ordered.Descending);
            Assert.That(cosine.AlphasCumprod[1], Is.GreaterThan(0.9999), "the offset s keeps the first step tiny");
        });
    }

    /// <summary>β = 0.1, 0.2, 0.3, 0.4: ᾱ = 0.9, 0.72, 0.504, 0.3024.</summary>
    private static GaussianDiffusionProcess TinyProcess(bool clip = true, string prediction = "epsilon") =>
        new(new GaussianDiffusionOptions { NumTimesteps = 4, BetaMin = 0.4, BetaMax = 1.6, ClipSample = clip, PredictionType = prediction });

    [Test]
    public void ADdimStepMatchesHandComputedValues()
    {
        using var process = TinyProcess();
        var sampler = new GaussianSampler(process, new GaussianSamplerSettings("ddim", Steps: 2, Eta: 0));
        Assert.That(sampler.Timesteps, Is.EqualTo(new[] { 2, 0 }), "two steps over T = 4: DDIM's range(0, 4, 2), noisiest first");
        // ε̂ = 0.5 at t = 2 and −0.2 at t = 0. From x = 0.3 at level 3 (ᾱ 0.504):
        //   x0 = (0.3 − √0.496·0.5)/√0.504 = −0.0734387; x at level 1 (ᾱ 0.9) = √0.9·x0 + √0.1·0.5 = 0.0884438;
        //   then to level 0: x0 = (0.0884438 − √0.1·(−0.2))/√0.9 = 0.1598946, the sample.
        using var xT = tensor(new[] { 0.3f }).reshape(1, 1);
        var seen = new List<long>();
        using var result = sampler.Run((x, t) =>
        {
            long step = t[0].item<long>();
            seen.Add(step);
            return full_like(x, step == 2 ? 0.5f : -0.2f);
        }, xT);
        Assert.That(seen, Is.EqualTo(new long[] { 2, 0 }));
        Assert.That(result.item<float>(), Is.EqualTo(0.15989458793569497).Within(1e-6));
    }

    [Test]
    public void VPredictionGivesBackTheCleanSampleAndTheNoise()
    {
        using var process = TinyProcess(clip: false, prediction: "v");
        var sampler = new GaussianSampler(process, new GaussianSamplerSettings());
        double alphaBar = process.AlphasCumprod[2];
        using var x0 = tensor(new[] { 0.4f, -0.7f }).reshape(2, 1);
        using var eps = tensor(new[] { 1.3f, 0.2f }).reshape(2, 1);
        using var x = x0 * Math.Sqrt(alphaBar) + eps * Math.Sqrt(1 - alphaBar);
        using var v = eps * Math.Sqrt(alphaBar) - x0 * Math.Sqrt(1 - alphaBar);
        var (x0Back, epsBack) = sampler.Predict(v, x, alphaBar);
        Assert.Multiple(() =>
        {
            Assert.That(x0Back.allclose(x0, atol: 1e-6), "x0 = √ᾱ·x − √(1 − ᾱ)·v");
            Assert.That(epsBack.allclose(eps, atol: 1e-6), "ε = √(1 − ᾱ)·x + √ᾱ·v");
        });
    }

    /// <summary>
    /// Data N(μ, s²): the exact noise predictor is E[ε | x_k] = √(1 − ᾱ)·(x − √ᾱ·μ)/(ᾱ·s² + 1 − ᾱ), so a correct sampler
    /// must return N(μ, s²). DDIM with η = 1 on all T steps is the ancestral sampler: with the same seed, the same samples.
    /// (With few steps deterministic DDIM under-disperses: each coarse linear step shrinks the variance, by Cauchy–Schwarz.)
    /// </summary>
    [Test]
    public void DdimWithEtaOneOnAllStepsIsTheAncestralSamplerOnAToyGaussian()
    {
        const double mu = 0.3, s = 0.5;
        using var process = new GaussianDiffusionProcess(new GaussianDiffusionOptions { NumTimesteps = 100, ClipSample = false });
        var alphaBar = process.AlphasCumprod;
        Tensor Exact(Tensor x, Tensor t)
        {
            double a = alphaBar[(int)t[0].item<long>() + 1];
            return (x - Math.Sqrt(a) * mu) * (Math.Sqrt(1 - a) / (a * s * s + 1 - a));
        }
        Tensor Run(GaussianSamplerSettings settings)
        {
            using var rng = new Generator(11);
            using var xT = randn([4000, 1], generator: rng);
            return new GaussianSampler(process, settings).Run(Exact, xT, rng);
        }
        using var ancestral = Run(new GaussianSamplerSettings("ancestral"));
        using var ddimEtaOne = Run(new GaussianSamplerSettings("ddim", Steps: 0, Eta: 1));
        using var ddimDeterministic = Run(new GaussianSamplerSettings("ddim", Steps: 0, Eta: 0));
        Assert.Multiple(() =>
        {
            Assert.That((ancestral - ddimEtaOne).abs().max().item<float>(), Is.LessThan(1e-4), "the same chain, sample by sample");
            foreach (var (name, samples) in new[] { ("ancestral", ancestral), ("DDIM η 1", ddimEtaOne), ("DDIM η 0", ddimDeterministic) })
            {
                Assert.That(samples.mean().item<float>(), Is.EqualTo(mu).Within(0.03), $"{name}: mean");
                Assert.That(samples.std().item<float>(), Is.EqualTo(s).Within(0.03), $"{name}: standard deviation");
            }
        });
    }

    private const string TinyGaussianRecipe = """
        name = "tiny-ddpm"
        seed = 5

        [data]
        type = "test-blobs"
        count = 48

        [diffusion]
        type = "ddpm"
        num_timesteps = 10
        beta_max = 5.0

        [generator]
        type = "test-tiny"

        [train]
        batch_size = 8
        num_epochs = 2
        lr_g = 1e-3
        beta1 = 0.9
        beta2 = 0.999
        warmup = 3
        grad_clip = 1.0
        ema_decay = 0.9
        log_every = 1
        sample_every = 0
        checkpoint_every = 0
        preview_count = 4

        [sample]
        sampler = "ddim"
        steps = 5
        """;

    private TrainingSession Session(Recipe recipe, string name, bool resume = false) =>
        new(recipe, Catalog(), [], new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name), Resume = resume },
            new TextTrainingObserver(TextWriter.Null));

    private static Recipe Tiny(string trainExtra = "") =>
        new RecipeLoader(Catalog()).Parse(TinyGaussianRecipe.Replace("[train]\n", "[train]\n" + trainExtra), "tiny-ddpm.toml");

    private static Dictionary<string, float[]> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [Test]
    public void AGaussianRunTrainsWithoutADiscriminatorLogsItsLossAndSamplesByDdim()
    {
        var recipe = Tiny();
        Assert.That(recipe.Discriminator, Is.Null);
        using (var session = Session(recipe, "run"))
        {
            Assert.That(session.Trainer, Is.InstanceOf<GaussianDiffusionTrainer>());
            session.Run();
        }
        string run = Path.Combine(_dir, "run");
        var metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        using var reader = CheckpointFile.Open(Path.Combine(run, "checkpoints", "latest.ckpt"));
        Assert.Multiple(() =>
        {
            Assert.That(metrics, Has.Length.EqualTo(12), "2 epochs × 6 batches");
            Assert.That(metrics[^1], Does.Contain("\"loss\":").And.Not.Contain("loss_d_real"));
            Assert.That(reader.HasModule("generator") && reader.HasModule("generator_ema"));
            Assert.That(reader.HasModule("discriminator"), Is.False);
            Assert.That(File.ReadAllText(Path.Combine(run, "recipe.resolved.toml")), Does.Not.Contain("[discriminator]"));
        });
        using var model = DiffusionModel.Load(run, Catalog());
        using var samples = model.Sample(6, seed: 3);
        Assert.Multiple(() =>
        {
            Assert.That(model.NumFunctionEvaluations(), Is.EqualTo(5), "DDIM with steps = 5 from the recipe's [sample]");
            Assert.That(model.NumFunctionEvaluations(new GaussianSamplerSettings()), Is.EqualTo(10), "ancestral: all T steps");
            Assert.That(samples.shape, Is.EqualTo(new long[] { 6, 1, 8, 8 }));
            Assert.That(samples.isfinite().all().item<bool>());
        });
    }

    [Test]
    public void AResumedGaussianRunEndsWithTheSameWeightsAsAnUninterruptedOne()
    {
        Dictionary<string, float[]> uninterrupted, resumed;
        using (var session = Session(Tiny("max_steps = 9\n"), "full"))
        {
            session.Run();
            uninterrupted = Weights(session.Trainer.SamplingGenerator);
        }
        using (var first = Session(Tiny("max_steps = 4\n"), "split")) first.Run();
        using (var second = Session(Tiny("max_steps = 9\n"), "split", resume: true))
        {
            second.Run();
            Assert.That(second.Trainer.GlobalStep, Is.EqualTo(9));
            resumed = Weights(second.Trainer.SamplingGenerator);
        }
        foreach (var (key, values) in uninterrupted) Assert.That(resumed[key], Is.EqualTo(values), key);
    }

    [Test]
    public void AResumedRunWithDropoutContinuesItsMasks()
    {
        // Dropout draws from libtorch's default generator, which the checkpoint now holds ("global"); before, a resume
        // reseeded it and the masks started over.
        const string withDropout = """
            [generator]
            type = "ncsnpp"
            nf = 8
            ch_mult = [1, 2]
            num_res_blocks = 1
            attn_resolutions = []
            dropout = 0.5
            fir = false
            progressive_input = "none"
            not_use_tanh = true
            nz = 1
            z_emb_dim = 8
            n_mlp = 1
            """;
        Recipe Dropout(int steps) => new RecipeLoader(Catalog()).Parse(
            TinyGaussianRecipe.Replace("[generator]\ntype = \"test-tiny\"\n", withDropout + "\n").Replace("[train]\n", $"[train]\nmax_steps = {steps}\n"), "dropout.toml");
        Dictionary<string, float[]> uninterrupted, resumed;
        using (var session = Session(Dropout(6), "full"))
        {
            session.Run();
            uninterrupted = Weights(session.Trainer.SamplingGenerator);
        }
        using (var first = Session(Dropout(3), "split")) first.Run();
        using (var reader = CheckpointFile.Open(Path.Combine(_dir, "split", "checkpoints", "latest.ckpt")))
            Assert.That(reader.HasGenerator(RandomStreams.GlobalStreamName), "the checkpoint holds the default generator's state");
        using (var second = Session(Dropout(6), "split", resume: true))
        {
            second.Run();
            resumed = Weights(second.Trainer.SamplingGenerator);
        }
        foreach (var (key, values) in uninterrupted) Assert.That(resumed[key], Is.EqualTo(values), key);
    }

    [Test]
    public void AGaussianRecipeWithADiscriminatorIsRefusedWithTheSectionNamed()
    {
        var error = Assert.Throws<RecipeException>(() =>
            new RecipeLoader(Catalog()).Parse(TinyGaussianRecipe + "\n[discriminator]\ntype = \"test-tiny\"\n", "with-d.toml"));
        Assert.That(error!.Message, Does.Contain("[discriminator]").And.Contain("Gaussian diffusion").And.Contain("remove [discriminator]"));
    }

    [Test]
    public void AnNcsnppNetworkWithItsOutputTanhIsRefusedForAGaussianModel()
    {
        var catalog = Catalog();
        var recipe = new RecipeLoader(catalog).Parse(TinyGaussianRecipe.Replace("type = \"test-tiny\"",
            "type = \"ncsnpp\"\nnf = 8\nch_mult = [1]\nnum_res_blocks = 1\nattn_resolutions = []\nnz = 1\nz_emb_dim = 8\nn_mlp = 1"), "tanh.toml");
        var error = Assert.Throws<RecipeException>(() => DiffusionModel.Build(DiffusionModel.ComponentBuilderFor(catalog), recipe,
            new SampleShape(1, 8, 8), CPU, ModelUse.Sampling));
        Assert.That(error!.Message, Does.Contain("not_use_tanh = true"));
    }
}
