// Which half of a DDGAN pair limits a short CPU run? Train either generator against any discriminator with the DDGAN
// trainer on Fashion-MNIST. The generator is the recipe's NCSN++ or a small DCGAN generator written here, which
// ignores x_{t+1} and t and so is a fair comparison only at T = 1 (where x_{t+1} is pure noise). The discriminator is
// the plugin's DCGAN-style conv-small or one of the official ones at the width a CPU affords (ngf 16).
//   lddgan run recipes/fashion-mnist-component-swap.csx -- --g=ncsnpp --d=conv-small --t=1 --steps=1000
//   --g: ncsnpp | dcgan      --d: conv-small | ddgan-small | ddgan-large (--layers=3)      --out=runs/component-swap
// docs/quality-experiments.md has what it measured (1,000 steps of batch 32 at T = 1): NCSN++ against the DCGAN-style D
// gives garments; NCSN++ or the DCGAN generator against ddgan-small (ngf 16, 3 layers) gives blobs or noise.
Register(ComponentKind.Denoiser, "dcgan-g", (DcganOptions o, ComponentContext c) => new DcganGenerator(o));

string g = Argument("g", "ncsnpp"), d = Argument("d", "conv-small");
var recipe = Recipe("fashion-mnist-component-swap").Seed(Argument("seed", 1024L))
    .Data("fashion-mnist", new { random_flip = true })
    .Diffusion("vp", new { num_timesteps = Argument("t", 1) });
recipe = g switch
{
    "ncsnpp" => recipe.Generator("ncsnpp", new { nf = 16, ch_mult = new[] { 1, 2, 2 }, num_res_blocks = 1, attn_resolutions = new int[0],
                                                 nz = 50, z_emb_dim = 128, n_mlp = 2 }),
    "dcgan" => recipe.Generator("dcgan-g", new { nz = 50, ch = 64 }),
    _ => throw new ArgumentException($"--g must be ncsnpp or dcgan, not '{g}'"),
};
recipe = d switch
{
    "conv-small" => recipe.Discriminator("conv-small", new { ch = 64, num_layers = 3 }),
    "ddgan-small" or "ddgan-large" => recipe.Discriminator(d, new { ngf = 16, num_layers = Argument("layers", 3) }),
    _ => throw new ArgumentException($"--d must be conv-small, ddgan-small or ddgan-large, not '{d}'"),
};
var built = recipe.Train(new { batch_size = 32, num_epochs = 2, max_steps = Argument("steps", 1000L), lr_g = 2e-4, lr_d = 2e-4,
                               r1_gamma = 0.02, lazy_reg = 15, ema_decay = 0.995, log_every = 50, sample_every = 250,
                               checkpoint_every = 0, threads = Argument("threads", 0) }).Build();
var result = Train(built, runDirectory: Argument("out", $"runs/component-swap-{g}-{d}"),
                   onStep: r => { if (r.Step % 50 == 0) Log($"step {r.Step}: D {r.Losses.DReal + r.Losses.DFake:F3} G {r.Losses.G:F3}"); });
Log($"done: {result.CheckpointPath}; the sample grids are in {result.RunDirectory}/samples");

public sealed record DcganOptions
{
    public int Nz { get; init; } = 50;
    public int Ch { get; init; } = 64;     // channels of the last transposed convolution's input
}

/// <summary>z → 4×4 → 8 → 16 → 32 by transposed convolutions (DCGAN). It ignores x_{t+1} and t (see the header).</summary>
public sealed class DcganGenerator : Denoiser
{
    private readonly TorchSharp.Modules.Linear project;
    private readonly TorchSharp.Modules.Sequential body;
    private readonly int _nz, _ch;

    public DcganGenerator(DcganOptions o) : base(nameof(DcganGenerator))
    {
        _nz = o.Nz; _ch = o.Ch;
        project = nn.Linear(_nz, 4 * _ch * 16);
        body = nn.Sequential(nn.BatchNorm2d(4 * _ch), nn.ReLU(),
            nn.ConvTranspose2d(4 * _ch, 2 * _ch, 4, stride: 2, padding: 1), nn.BatchNorm2d(2 * _ch), nn.ReLU(),
            nn.ConvTranspose2d(2 * _ch, _ch, 4, stride: 2, padding: 1), nn.BatchNorm2d(_ch), nn.ReLU(),
            nn.ConvTranspose2d(_ch, 1, 4, stride: 2, padding: 1), nn.Tanh());
        RegisterComponents();
    }

    public override int NoiseDim => _nz;

    public override Tensor forward(Tensor xNext, Tensor t, Tensor z) =>
        body.call(project.call(z).view(-1, 4 * _ch, 4, 4));
}
