// LDDGAN on Fashion-MNIST as a C# recipe: both stages in one script. First the VQ autoencoder (the TOML recipe
// lddgan-fashion-mnist-autoencoder.toml, trained here unless its run already exists), then the diffusion GAN in its
// latent space with Weighted Learning, composed in code; the grid is decoded through the autoencoder.
//   lddgan run recipes/lddgan-fashion-mnist.csx -- --out=runs/lddgan-fashion-mnist-csx
string autoencoderRun = Argument("autoencoder", "runs/lddgan-fashion-mnist-autoencoder");
if (!Directory.Exists(Path.Combine(autoencoderRun, "checkpoints")))
{
    Log($"no autoencoder at {autoencoderRun}: training it first");
    TrainAutoencoder(LoadAutoencoderRecipe("lddgan-fashion-mnist-autoencoder.toml"), autoencoderRun);
}

var recipe = Recipe("lddgan-fashion-mnist-csx")
    .Seed(1024)
    .Data("fashion-mnist", new { random_flip = true, limit = 12000 })
    .Latent("autoencoder", new { checkpoint = autoencoderRun, scale_factor = 0.0 })
    .Diffusion("vp", new { num_timesteps = 4 })
    .Generator("ncsnpp", new { nf = 16, ch_mult = new[] { 1, 2, 2 }, num_res_blocks = 1, attn_resolutions = new int[0], nz = 50, z_emb_dim = 128, n_mlp = 2 })
    .Discriminator("ddgan-small", new { ngf = 16, num_layers = 3 })
    .Loss("weighted-learning", new { gamma = 6.0 })
    .Train(new { batch_size = 32, num_epochs = Argument("epochs", 5), lr_g = 2e-4, lr_d = 2e-4, lr_schedule = "constant", r1_gamma = 0.02, lazy_reg = 15,
                 ema_decay = 0.995, log_every = 20, sample_every = 375, checkpoint_every = 375, preview_count = 64, max_steps = Argument("steps", 0L) })
    .Build();

var result = Train(recipe, runDirectory: Argument("out", "runs/lddgan-fashion-mnist-csx"), onEpoch: e => Log($"  epoch {e} done"));
var grid = Path.Combine(result.RunDirectory, "grid-from-script.png");
SaveGrid(Sample(result.RunDirectory, 64, seed: 7), grid);
Log($"trained {result.Steps} steps → {result.CheckpointPath}; grid → {grid}");
