// Watches the 25-Gaussians DDGAN train: every --every steps it samples the chain (raw and EMA generator), measures
// each step's one-step x_0 from *real* x_{t+1}, and reads the discriminator's mean logit on real and fake pairs at t = 0.
// This is how docs/quality-experiments.md tells "D is at chance because G keeps escaping it" from "D sees the fakes but
// its gradient does not move G" from "the high-noise steps drop modes", and whether D's gradient at G's samples points
// toward the modes.
//   lddgan run recipes/25-gaussians-diagnostics.csx -- --steps=3000 --every=500 [--recipe=25-gaussians.toml]
torch.set_num_threads(Argument("threads", 1));
var recipe = LoadRecipe(Argument("recipe", "25-gaussians.toml"));
long steps = Argument("steps", 3000L);
int every = Argument("every", 500);
int n = Argument("n", 2000);

var c = BuildComponents(recipe);
var rng = new LddGan.Engine.Runtime.RandomStreams(recipe.Seed);
var trainer = new DiffusionGanTrainer(c, recipe.Train, rng, CPU);
var data = (LddGan.Engine.Data.TwentyFiveGaussiansDataset)c.Dataset;
var probe = new Generator(5);   // the measurements' own noise: they do not disturb the training streams
var modes = tensor(data.Modes.SelectMany(m => new[] { (float)m.X, (float)m.Y }).ToArray(), new long[] { 25, 2 });
int T = c.Process.NumTimesteps;

string Coverage(Tensor points)
{
    var report = data.Evaluate(points);
    var distance = cdist(points, modes).min(1).values.sort().Values / data.ModelStd;
    string Quantile(double q) => distance[(long)(q * (n - 1))].item<float>().ToString("F1");
    return $"{report.ModesCovered}/25 {report.HighQualityFraction * 100:F1}% (median {Quantile(0.5)}σ, 95th {Quantile(0.95)}σ)";
}

var sampler = new LddGan.Engine.Diffusion.ReverseSampler(c.Process);
string Chain(LddGan.Abstractions.Denoiser generator)
{
    using var scope = NewDisposeScope();
    return Coverage(sampler.Sample(generator, data.Shape, n, CPU, probe));
}

string OneStep(int i)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    var x0 = data.GetBatch(randint(0, data.Count, new long[] { n }, generator: probe).data<long>().ToArray());
    var t = full(new long[] { n }, i, ScalarType.Int64);
    var (xt, xNext) = c.Process.SamplePairs(x0, t, probe);
    var predicted = c.Generator.call(xNext, t, randn(new long[] { n, c.Generator.NoiseDim }, generator: probe));
    var report = data.Evaluate(predicted);
    string line = $"t{i} {report.ModesCovered}/25 {report.HighQualityFraction * 100:F0}%";
    if (i == 0)
    {
        var fake = c.Process.SamplePosterior(predicted, xNext, t, probe);
        line += $" [D real {c.Discriminator.call(xt, t, xNext).mean().item<float>():F2}, fake {c.Discriminator.call(fake, t, xNext).mean().item<float>():F2}]";
    }
    return line;
}

// Where D's gradient sends G's samples: at t = 0, the cosine between ∇_x D at G's one-step x_0 and the direction to the
// nearest mode; at every t, the size of the G loss's gradient with respect to the predicted x_0 (which steps drive G).
string GradientReport()
{
    using var scope = NewDisposeScope();
    var lines = new List<string>();
    for (int i = 0; i < T; i++)
    {
        var x0 = data.GetBatch(randint(0, data.Count, new long[] { n }, generator: probe).data<long>().ToArray());
        var t = full(new long[] { n }, i, ScalarType.Int64);
        var (_, xNext) = c.Process.SamplePairs(x0, t, probe);
        Tensor predicted;
        using (no_grad()) predicted = c.Generator.call(xNext, t, randn(new long[] { n, c.Generator.NoiseDim }, generator: probe));
        predicted = predicted.requires_grad_(true);
        var loss = nn.functional.softplus(-c.Discriminator.call(c.Process.SamplePosterior(predicted, xNext, t, probe), t, xNext)).sum();
        var grad = torch.autograd.grad(new[] { loss }, new[] { predicted })[0];
        string line = $"t{i} |dL/dx0| {grad.norm(1).mean().item<float>():F3}";
        if (i == 0)
        {
            var toMode = modes.index_select(0, cdist(predicted.detach(), modes).argmin(1)) - predicted.detach();
            var cosine = nn.functional.cosine_similarity(-grad, toMode, 1);
            line += $" (toward the nearest mode: mean cos {cosine.mean().item<float>():F2}, {(cosine > 0).to_type(ScalarType.Float32).mean().item<float>() * 100:F0}% > 0)";
        }
        lines.Add(line);
    }
    return string.Join(" | ", lines);
}

var clock = System.Diagnostics.Stopwatch.StartNew();
for (long step = 1; step <= steps; step++)
{
    using var scope = NewDisposeScope();
    var indices = randint(0, data.Count, new long[] { recipe.Train.BatchSize }, generator: rng.DataOrder).data<long>().ToArray();
    var losses = trainer.TrainStep(data.GetBatch(indices, rng.Augmentation));
    if (step % every != 0 && step != steps) continue;
    Log($"step {step} ({clock.Elapsed.TotalSeconds:F0} s) D {losses.DReal + losses.DFake:F3} G {losses.G:F3}");
    Log($"  chain raw {Chain(c.Generator)} | EMA {(c.GeneratorEma is null ? "-" : Chain(c.GeneratorEma))}");
    Log($"  one step from real x_t+1: {string.Join(" | ", Enumerable.Range(0, T).Select(OneStep))}");
    Log($"  G's gradient: {GradientReport()}");
}
trainer.Dispose(); rng.Dispose(); modes.Dispose(); probe.Dispose();
c.Generator.Dispose(); c.GeneratorEma?.Dispose(); c.Discriminator.Dispose(); c.Process.Dispose(); c.LatentSpace.Dispose(); c.Dataset.Dispose();
