// Shared by the example scripts (#load "common.csx"): recipes/ddgan-quick.toml composed in code, as a builder that a
// script can change further (e.g. .Loss(...)) before .Build(). maxSteps 0 keeps the TOML's 2 epochs (128 steps); the
// test suite checks that QuickDdgan(0) and the TOML resolve to the same recipe.
RecipeBuilder QuickDdgan(long maxSteps) => Recipe("ddgan-quick")
    .Seed(1024)
    .Data("fashion-mnist", new { limit = 2048 })
    .Generator("ncsnpp", new { nf = 16, ch_mult = new[] { 1, 2 }, num_res_blocks = 1, attn_resolutions = new int[0], nz = 32, z_emb_dim = 64, n_mlp = 2 })
    .Discriminator("ddgan-small", new { ngf = 16, num_layers = 3 })
    .Train(new { batch_size = 32, num_epochs = 2, max_steps = maxSteps, ema_decay = 0.99, log_every = 10, sample_every = 0, checkpoint_every = 0, preview_count = 36 });
