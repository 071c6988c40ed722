// WDDGAN on Fashion-MNIST as a C# recipe: the setting of recipes/wddgan-fashion-mnist-wavelet.toml composed in code —
// Haar bands as the latent space, the wavelet-embedded generator, and the L1 reconstruction of x0 (weight 1) beside the
// adversarial loss. --generator=ncsnpp swaps in the plain NCSN++ of the published CIFAR-10 model (wddgan-fashion-mnist.toml).
//   lddgan run recipes/wddgan-fashion-mnist.csx -- --steps=1700 --out=runs/wddgan-fashion-mnist-csx
long steps = Argument("steps", 1700L);
string generator = Argument("generator", "wavelet-ncsnpp");

var recipe = Recipe("wddgan-fashion-mnist-csx")
    .Seed(1024)
    .Data("fashion-mnist", new { random_flip = true })
    .Latent("haar")                                      // 1x32x32 -> 4x16x16, bands / 2
    .Diffusion("vp", new { num_timesteps = 4 })
    .Generator(generator, new { nf = 16, ch_mult = new[] { 1, 2, 2 }, num_res_blocks = 1, attn_resolutions = new int[0], nz = 50, z_emb_dim = 128, n_mlp = 2 })
    .Discriminator("ddgan-small", new { ngf = 16, num_layers = 3 })
    .Loss("constant-reconstruction", new { weight = 1.0 })
    .Train(new { batch_size = 32, num_epochs = 2, max_steps = steps, lr_g = 2e-4, lr_d = 2e-4, r1_gamma = 0.02, lazy_reg = 15,
                 ema_decay = 0.995, log_every = 20, sample_every = 250, checkpoint_every = 250, preview_count = 64 })
    .Build();

var result = Train(recipe, runDirectory: Argument("out", "runs/wddgan-fashion-mnist-csx"),
                   onEpoch: e => Log($"  epoch {e} done"));
Log($"trained {result.Steps} steps → {result.CheckpointPath}");
// Sampling runs the chain on the bands, then multiplies by 2, inverts the transform and clamps (the latent space's Decode).
var grid = Path.Combine(result.RunDirectory, "grid-from-script.png");
SaveGrid(Sample(result.RunDirectory, 64, seed: 7), grid);
Log($"grid → {grid}");
