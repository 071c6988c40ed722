// Shared by the example scripts (#load "common.csx"): a quick DDGAN setting on Fashion-MNIST, as a builder that a
// script can change further (e.g. .Loss(...)) before .Build().
RecipeBuilder QuickDdgan(long maxSteps) => Recipe("ddgan-quick")
    .Seed(1024)
    .Data("fashion-mnist", new { limit = 4096 })
    .Diffusion("vp", new { num_timesteps = 4 })
    .Generator("ncsnpp", new { nf = 16, ch_mult = new[] { 1, 2, 2 }, num_res_blocks = 1, attn_resolutions = new int[0], nz = 50, z_emb_dim = 128, n_mlp = 2 })
    .Discriminator("ddgan-small", new { ngf = 16, num_layers = 3 })
    .Train(new { batch_size = 32, num_epochs = 1, max_steps = maxSteps, lr_g = 2e-4, lr_d = 2e-4, ema_decay = 0.99, log_every = 16, sample_every = 0, checkpoint_every = 0 });
