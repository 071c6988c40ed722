// Times the diffusion-GAN training step the way the official train_ddgan.py runs it: the plain step (one D and one G
// update), the lazy-R1 step (every lazy_reg-th step also backpropagates R1 through D twice) and a whole cycle of
// lazy_reg steps; medians after a warm-up cycle, with the device synchronised around every timer (no other host
// synchronisation: the losses stay on the device). The batch is fixed (the data's content does not change the time).
//   lddgan run recipes/training-step-time.csx -- --recipe=recipes/ddgan-cifar10-networks.toml --device=cuda --batch=64
//   lddgan run recipes/training-step-time.csx -- --recipe=recipes/ddgan-cifar10-networks.toml --device=cpu --batch=8 --lazy-reg=2 --warmup=2 --cycles=2 --whole-cycles=0
using System.Diagnostics;

string recipePath = Path.GetFullPath(Argument("recipe", "recipes/ddgan-cifar10-networks.toml"));
var loaded = new LddGan.Engine.Recipes.RecipeLoader(Catalog).LoadFile(recipePath);
// --lazy-reg=2 alternates R1 and plain steps: the R1 cost in a few steps where a step takes a minute (CPU).
var recipe = loaded with
{
    Device = Argument("device", loaded.Device),
    Train = loaded.Train with { BatchSize = Argument("batch", loaded.Train.BatchSize), LazyReg = Argument("lazy-reg", loaded.Train.LazyReg) },
    Runtime = loaded.Runtime with { CudnnBenchmark = Argument("cudnn-benchmark", loaded.Runtime.CudnnBenchmark) },
};
int cycles = Argument("cycles", 3);       // cycles timed step by step (each gives lazy_reg - 1 plain steps and one R1 step)
int wholeCycles = Argument("whole-cycles", 2);
var c = BuildComponents(recipe);
var device = LddGan.Engine.Runtime.DeviceSelection.Resolve(recipe.Device, recipe.Runtime);
var rng = new LddGan.Engine.Runtime.RandomStreams(recipe.Seed);
var trainer = new DiffusionGanTrainer(c, recipe.Train, rng, device);
int lazy = recipe.Train.LazyReg;
var indices = Enumerable.Range(0, recipe.Train.BatchSize).Select(i => (long)i).ToArray();
Tensor x0;
using (no_grad()) x0 = c.LatentSpace.Encode(c.Dataset.GetBatch(indices).to(device));
void Sync() { if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device); }
double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

Log($"{recipe.Name}: {c.Generator.parameters().Sum(p => p.numel()):N0} + {c.Discriminator.parameters().Sum(p => p.numel()):N0} parameters, " +
    $"batch {recipe.Train.BatchSize}, lazy_reg {lazy}, on {device} ({torch.get_num_threads()} threads)");
int warmup = Argument("warmup", lazy);    // untimed steps first (the first is an R1 step)
for (int i = 0; i < warmup; i++) { using var scope = NewDisposeScope(); trainer.Step(x0).Dispose(); }
Sync();
var plain = new List<double>();
var r1 = new List<double>();
for (int i = 0; i < cycles * lazy; i++)
{
    bool withR1 = recipe.Train.R1Gamma > 0 && trainer.GlobalStep % lazy == 0;
    var clock = Stopwatch.StartNew();
    using (NewDisposeScope()) trainer.Step(x0).Dispose();
    Sync();
    (withR1 ? r1 : plain).Add(clock.Elapsed.TotalSeconds);
}
var whole = new List<double>();
for (int k = 0; k < wholeCycles; k++)
{
    while (trainer.GlobalStep % lazy != 0) { using var scope = NewDisposeScope(); trainer.Step(x0).Dispose(); }
    Sync();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < lazy; i++) { using var scope = NewDisposeScope(); trainer.Step(x0).Dispose(); }
    Sync();
    whole.Add(clock.Elapsed.TotalSeconds);
}
double cycle = whole.Count > 0 ? Median(whole) : double.NaN;
Log($"plain step: median {Median(plain):F4} s of {plain.Count} (min {plain.Min():F4})");
if (r1.Count > 0) Log($"R1 step:    median {Median(r1):F4} s of {r1.Count} (min {r1.Min():F4}); R1 costs {Median(r1) - Median(plain):F4} s more");
if (whole.Count > 0) Log($"{lazy}-step cycle: median {cycle:F3} s of {whole.Count} → {lazy * recipe.Train.BatchSize / cycle:F0} images/s, {cycle / lazy:F4} s per step");
string json = Argument("json", "");
if (json.Length > 0)
    File.WriteAllText(json, System.Text.Json.JsonSerializer.Serialize(new
    {
        recipe = recipe.Name, device = device.ToString(), batch = recipe.Train.BatchSize, lazy_reg = lazy, threads = torch.get_num_threads(),
        plain_median_s = Median(plain), plain_s = plain, r1_median_s = r1.Count > 0 ? Median(r1) : (double?)null, r1_s = r1,
        cycle_median_s = cycle, cycle_s = whole, images_per_s = lazy * recipe.Train.BatchSize / cycle,
    }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
trainer.Dispose(); rng.Dispose(); x0.Dispose();
c.Generator.Dispose(); c.GeneratorEma?.Dispose(); c.Discriminator.Dispose(); c.Process.Dispose(); c.LatentSpace.Dispose(); c.Dataset.Dispose();
