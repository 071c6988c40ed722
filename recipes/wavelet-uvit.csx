// Mixing components from different plugins: WDDGAN's Haar wavelet latent space (this repository's Wddgan plugin) with the
// U-ViT backbone of a third-party plugin (plugins/samples/UVit, built only from the SDK packages), DDGAN's discriminator
// and WDDGAN's reconstruction loss. Nothing here knows about the others: the latent space tells U-ViT its input shape
// (4x16x16 for Fashion-MNIST), and sampling decodes through the inverse transform.
//   dotnet pack LddGan.Framework.sln -c Release
//   dotnet build plugins/samples/UVit -c Release -p:LddGanPluginFolder=$PWD/artifacts/sample-plugins
//   lddgan run recipes/wavelet-uvit.csx --plugins artifacts/sample-plugins -- --steps=300
long steps = Argument("steps", 300L);

if (!Catalog.TryResolve(ComponentKind.Denoiser, "uvit", out _))
    throw new InvalidOperationException(
        "the denoiser 'uvit' is not loaded: build the U-ViT sample plugin (see the top of this script) and pass its folder with --plugins");

var recipe = Recipe("wavelet-uvit")
    .Seed(1024)
    .Data("fashion-mnist", new { random_flip = true })
    .Latent("haar")
    .Diffusion("vp", new { num_timesteps = 4 })
    .Generator("uvit", new { patch_size = 2, embed_dim = 128, depth = 6, num_heads = 4, nz = 50, z_emb_dim = 128, n_mlp = 2 })  // 8x8 tokens of 4x2x2
    .Discriminator("ddgan-small", new { ngf = 16, num_layers = 3 })
    .Loss("constant-reconstruction", new { weight = 1.0 })
    .Train(new { batch_size = 32, num_epochs = 1, max_steps = steps, ema_decay = 0.99, log_every = 20, sample_every = 0, checkpoint_every = 0 })
    .Build();

var result = Train(recipe, runDirectory: Argument("out", "runs/wavelet-uvit"));
var samples = Sample(result.RunDirectory, 36, seed: 7);
Log($"trained {result.Steps} steps; samples {string.Join("x", samples.shape)} in [{samples.min().item<float>():F2}, {samples.max().item<float>():F2}] (decoded from the bands)");
SaveGrid(samples, Path.Combine(result.RunDirectory, "grid.png"));
