// What the discriminator of a training checkpoint sees: for each step t, its mean logit on real pairs (x_t, x_{t+1})
// and on generated pairs (x_t' ~ q(x_t | G(x_{t+1}, z), x_{t+1}), x_{t+1}), and how often it ranks them right (a real
// logit above a generated one, over all real/generated pairs of that t). An accuracy near 0.5 at every t means D gives
// G no signal: the generator then learns from the reconstruction term alone, if the recipe has one.
// D is called on the real and the generated batch separately and in training mode, as the trainer calls it (so a
// BatchNorm discriminator normalises each batch with its own statistics), with the raw (not EMA) generator it trained against.
// With --train-d=N it then trains D alone against the frozen generator for N steps and measures again: a D that learns
// to rank well within a few hundred steps can see the generated pairs, and it is G that keeps up with it in training.
//   lddgan run recipes/discriminator-diagnostics.csx -- --checkpoint=training/<run>/checkpoints/latest.ckpt [--n=256] [--batch=32] [--train-d=400 [--lr-d=2e-4]]
using LddGan.Engine.Checkpoints;
using static TorchSharp.torch;

string path = CheckpointFile.ResolvePath(Argument("checkpoint", ""));
int n = Argument("n", 256);
int batchSize = Argument("batch", 32);
torch.set_num_threads(Argument("threads", 1));

Recipe recipe;
CheckpointMeta meta;
using (var reader = CheckpointFile.Open(path))
{
    recipe = new LddGan.Engine.Recipes.RecipeLoader(Catalog).Parse(reader.RecipeToml, path);
    meta = reader.Meta;
}
var model = BuildModel(recipe, out var dataset);
var d = model.Discriminator ?? throw new InvalidOperationException($"{path}: the recipe has no discriminator.");
using (var reader = CheckpointFile.Open(path))
{
    reader.LoadModule("generator", model.Generator);
    reader.LoadModule("discriminator", d);
}
model.Generator.eval();
d.train();

int T = model.NumTimesteps;
int trainD = Argument("train-d", 0);

// G and D with the batch's class labels when the model is class-conditional (as the trainer calls them).
Tensor G(Tensor x, Tensor t, Tensor z, Tensor? labels) => labels is null ? model.Generator.call(x, t, z) : model.Generator.forward(x, t, z, labels);
Tensor D(Tensor x, Tensor t, Tensor xNext, Tensor? labels) => labels is null ? d.call(x, t, xNext) : d.forward(x, t, xNext, labels);

// One training-like batch: clean latents x_0, steps t drawn uniformly, real pairs (x_t, x_{t+1}), G's noise z, labels.
(Tensor X0, Tensor T, Tensor Xt, Tensor XNext, Tensor Z, Tensor? Labels) Draw(Generator rng)
{
    var indices = randint(0, dataset.Count, new long[] { batchSize }, generator: rng).data<long>().ToArray();
    var x0 = model.LatentSpace.Encode(dataset.GetBatch(indices).to(model.Device));
    var t = randint(0, T, new long[] { batchSize }, generator: rng).to(model.Device);
    var (xt, xNext) = model.Process.SamplePairs(x0, t, rng);
    var z = randn(new long[] { batchSize, model.Generator.NoiseDim }, generator: rng).to(model.Device);
    var labels = model.NumClasses > 0 ? ((LddGan.Abstractions.ILabeledDataset)dataset).GetLabels(indices).to(model.Device) : null;
    return (x0, t, xt, xNext, z, labels);
}

// D's logits on the real and the generated pairs of one batch.
(Tensor Real, Tensor Fake, Tensor Steps) Judge(Generator rng)
{
    using var scope = NewDisposeScope();
    var (_, t, xt, xNext, z, labels) = Draw(rng);
    Tensor generated;
    using (no_grad()) generated = model.Process.SamplePosterior(G(xNext, t, z, labels), xNext, t, rng);
    var real = D(xt, t, xNext, labels);
    var fake = D(generated, t, xNext, labels);
    return (real.view(-1).MoveToOuterDisposeScope(), fake.view(-1).MoveToOuterDisposeScope(), t.MoveToOuterDisposeScope());
}

float Ranked(Tensor real, Tensor generated) => (real.unsqueeze(1) > generated.unsqueeze(0)).to(ScalarType.Float32).mean().item<float>();

// The table, on the same n pairs each time (its own noise stream, seed 7).
void Measure(string title)
{
    using var scope = NewDisposeScope();
    var rng = new Generator(7);
    var parts = new List<(Tensor Real, Tensor Fake, Tensor Steps)>();
    using (no_grad())
        for (int start = 0; start < n; start += batchSize) parts.Add(Judge(rng));
    var allReal = cat(parts.Select(p => p.Real).ToList()).cpu();
    var allFake = cat(parts.Select(p => p.Fake).ToList()).cpu();
    var allSteps = cat(parts.Select(p => p.Steps).ToList()).cpu();
    Log(title);
    Log("t | pairs | mean logit real | mean logit generated | P(real ranked above generated)");
    for (int step = 0; step < T; step++)
    {
        var mask = allSteps.eq(step);
        var real = allReal.masked_select(mask);
        var generated = allFake.masked_select(mask);
        Log($"{step} | {real.shape[0],5} | {real.mean().item<float>(),8:F3} | {generated.mean().item<float>(),8:F3} | {Ranked(real, generated):F3}");
    }
    Log($"all | {allReal.shape[0],5} | {allReal.mean().item<float>(),8:F3} | {allFake.mean().item<float>(),8:F3} | {Ranked(allReal, allFake):F3}" +
        $"  (losses: real {nn.functional.softplus(-allReal).mean().item<float>():F3}, generated {nn.functional.softplus(allFake).mean().item<float>():F3})");
}

// What drives G: at each t, the mean per-sample norm of the gradient with respect to G's predicted x_0 of the adversarial
// loss softplus(-D(x_t', t, x_{t+1})) and of the reconstruction term λ·L1(x_0', x_0) with the schedule's weights at
// the checkpoint's epoch (both as means over the batch, as the trainer's losses are).
void GeneratorGradients()
{
    var weights = model.LossSchedule!.WeightsAt(new LddGan.Abstractions.TrainingProgress(meta.Epoch, recipe.Train.NumEpochs, meta.GlobalStep));
    var rng = new Generator(9);
    var adversarial = new double[T];
    var reconstruction = new double[T];
    var counts = new int[T];
    for (int start = 0; start < n; start += batchSize)
    {
        using var scope = NewDisposeScope();
        var (x0, t, _, xNext, z, labels) = Draw(rng);
        Tensor predicted;
        using (no_grad()) predicted = G(xNext, t, z, labels);
        predicted.requires_grad_(true);
        var logits = D(model.Process.SamplePosterior(predicted, xNext, t, rng), t, xNext, labels);
        var adversarialLoss = nn.functional.softplus(-logits.view(-1)).mean() * weights.Adversarial;
        var reconstructionLoss = nn.functional.l1_loss(predicted, x0) * weights.Reconstruction;
        var gradAdversarial = autograd.grad([adversarialLoss], [predicted])[0].flatten(1).pow(2).sum(1).sqrt().cpu();
        var gradReconstruction = autograd.grad([reconstructionLoss], [predicted])[0].flatten(1).pow(2).sum(1).sqrt().cpu();
        var steps = t.cpu().data<long>().ToArray();
        for (int i = 0; i < steps.Length; i++)
        {
            adversarial[steps[i]] += gradAdversarial[i].item<float>();
            reconstruction[steps[i]] += gradReconstruction[i].item<float>();
            counts[steps[i]]++;
        }
    }
    Log($"G's gradient at its predicted x_0 (epoch {meta.Epoch}: adversarial weight {weights.Adversarial:G3}, reconstruction weight {weights.Reconstruction:G3}):");
    Log("t | adversarial | reconstruction | ratio");
    for (int step = 0; step < T; step++)
    {
        double a = adversarial[step] / Math.Max(1, counts[step]), r = reconstruction[step] / Math.Max(1, counts[step]);
        Log($"{step} | {a:E2} | {r:E2} | {(r > 0 ? a / r : double.NaN):G3}");
    }
}

Log($"{path}: D on {n} real and {n} generated pairs, batches of {batchSize} with t drawn uniformly (as in training)");
Measure("as trained:");
if (model.LossSchedule is not null) GeneratorGradients();
if (trainD > 0)
{
    // Can D tell the frozen generator's pairs from real ones when G does not move? D alone, its own optimizer as the
    // recipe's (Adam, lr_d unless --lr-d says otherwise, beta1, beta2), the non-saturating losses without R1, on batches
    // from another stream.
    var optimizer = optim.Adam(d.parameters(), lr: Argument("lr-d", recipe.Train.LrD), beta1: recipe.Train.Beta1, beta2: recipe.Train.Beta2);
    var rng = new Generator(8);
    for (int step = 1; step <= trainD; step++)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var (real, fake, _) = Judge(rng);
        (nn.functional.softplus(-real).mean() + nn.functional.softplus(fake).mean()).backward();
        optimizer.step();
        if (step % Math.Max(1, trainD / 4) == 0 && step < trainD) Measure($"after {step} steps of D alone:");
    }
    Measure($"after {trainD} steps of D alone:");
}
model.Dispose();
dataset.Dispose();
