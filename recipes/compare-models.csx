// DDGAN / WDDGAN / LDDGAN side by side on this machine, from trained checkpoints: sampling time per 100 images (median
// of repeated runs after a warm-up, all in this one process, decoding included, as the papers time it), NFE and
// parameters (generator; for LDDGAN also the decoder it samples through), and one grid per model at the same seed.
//   lddgan run recipes/compare-models.csx -- --ddgan=runs/ddgan-fashion-mnist --wddgan=runs/wddgan-fashion-mnist-wavelet \
//       --lddgan=recipes/pretrained/lddgan-fashion-mnist.ckpt --repeats=7 --out=docs/images

int repeats = Argument("repeats", 7);
string outDir = Argument("out", "runs/compare-models");
Directory.CreateDirectory(outDir);
double Median(List<double> xs) { xs.Sort(); return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2; }
long Count(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> ps, params string[] prefixes) =>
    ps.Where(p => prefixes.Any(x => p.name.StartsWith(x))).Sum(p => p.parameter.numel());

var rows = new List<string>();
foreach (var (label, path) in new[] { ("DDGAN", Argument("ddgan", "runs/ddgan-fashion-mnist")),
                                      ("WDDGAN", Argument("wddgan", "runs/wddgan-fashion-mnist-wavelet")),
                                      ("LDDGAN", Argument("lddgan", "recipes/pretrained/lddgan-fashion-mnist.ckpt")) })
{
    using var model = LoadCheckpoint(path);
    model.Sample(100, seed: 1, batchSize: 100).Dispose();                       // warm-up
    var times = new List<double>();
    for (int i = 0; i < repeats; i++)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        model.Sample(100, seed: i + 2, batchSize: 100).Dispose();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    long generator = model.Generator.parameters().Sum(p => p.numel());
    long decoder = model.LatentSpace is IAutoencoderLatentSpace ae ? Count(ae.Autoencoder.named_parameters(), "decoder.", "post_quant_conv.") : 0;
    SaveGrid(model.Sample(64, seed: 7, batchSize: 64), Path.Combine(outDir, $"{label.ToLowerInvariant()}-fashion-mnist-compare.png"));
    rows.Add($"| {label} | {model.Recipe.Latent.Type} | {model.NumTimesteps} | {generator:N0} | {(decoder > 0 ? decoder.ToString("N0") : "—")} | {generator + decoder:N0} | " +
             $"{Median(times):F3} s | {model.Meta.GlobalStep:N0} |");
    Log($"{label}: median {Median(times):F3} s per 100 over {repeats} runs [{string.Join(", ", times.Select(t => t.ToString("F3")))}]");
}
Log("| model | latent space | NFE | generator params | decoder params | total | time / 100 images | training steps |");
Log("|---|---|---|---|---|---|---|---|");
foreach (var row in rows) Log(row);
