// Sampling time of DDGAN vs WDDGAN at equal NFE, as the papers time it: 100 samples, median of repeated runs after a
// warm-up, the same process, the generators' weights as built (time does not depend on their values).
//   lddgan run recipes/sampling-time.csx -- --repeats=5
int repeats = Argument("repeats", 5);
int count = Argument("n", 100);
double Median(List<double> xs) { xs.Sort(); return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2; }

(double Seconds, long Parameters) Time(string tomlPath)
{
    var recipe = LoadRecipe(tomlPath);
    var c = BuildComponents(recipe);
    c.GeneratorEma?.Dispose();
    c.Generator.eval();
    var renderer = new SampleRenderer(c.Process, c.LatentSpace, c.LatentSpace.LatentShape(c.Dataset.Shape), CPU);
    renderer.Generate(c.Generator, count, seed: 1, batchSize: count).Dispose();            // warm-up
    var times = new List<double>();
    for (int i = 0; i < repeats; i++)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        renderer.Generate(c.Generator, count, seed: i + 2, batchSize: count).Dispose();   // includes decoding (IDWT)
        times.Add(clock.Elapsed.TotalSeconds);
    }
    long parameters = c.Generator.parameters().Sum(p => p.numel());
    Log($"{recipe.Name}: NFE {c.Process.NumTimesteps}, latent {c.LatentSpace.LatentShape(c.Dataset.Shape)}, G {parameters:N0} params, " +
        $"{count} samples: median {Median(times):F3} s over {repeats} runs [{string.Join(", ", times.Select(t => t.ToString("F3")))}]");
    c.Generator.Dispose(); c.Discriminator.Dispose(); c.Process.Dispose(); c.LatentSpace.Dispose(); c.Dataset.Dispose();
    return (Median(times), parameters);
}

var ddgan = Time("ddgan-fashion-mnist.toml");
var wddgan = Time("wddgan-fashion-mnist.toml");                   // plain NCSN++ on the bands (the published CIFAR-10 setting)
var wavelet = Time("wddgan-fashion-mnist-wavelet.toml");          // the wavelet-embedded generator
Log($"WDDGAN (plain NCSN++) / DDGAN sampling time: {wddgan.Seconds / ddgan.Seconds:F3} (DDGAN is {ddgan.Seconds / wddgan.Seconds:F2}x slower)");
Log($"WDDGAN (wavelet generator) / DDGAN sampling time: {wavelet.Seconds / ddgan.Seconds:F3} (DDGAN is {ddgan.Seconds / wavelet.Seconds:F2}x slower)");
