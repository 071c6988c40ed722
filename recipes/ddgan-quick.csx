// recipes/ddgan-quick.toml as a C# recipe, composed in code, with callbacks per step and per epoch: the same run,
// checkpoint for checkpoint. --steps stops it early (0, the default: the TOML's 2 epochs, 128 steps).
//   lddgan run recipes/ddgan-quick.csx -- --steps=64 --out=runs/ddgan-quick-csx
#load "common.csx"

long steps = Argument("steps", 0L);
var recipe = QuickDdgan(steps).Build();

var result = Train(recipe, runDirectory: Argument("out", "runs/ddgan-quick-csx"),
                   onStep: r => { if (r.Step % 32 == 0) Log($"  step {r.Step}: D {r.Losses.DReal + r.Losses.DFake:F3}, G {r.Losses.G:F3}"); },
                   onEpoch: e => Log($"  epoch {e} done"));
Log($"trained {result.Steps} steps → {result.CheckpointPath}");
SaveGrid(Sample(result.RunDirectory, 36, seed: 7), Path.Combine(result.RunDirectory, "grid-from-script.png"));
