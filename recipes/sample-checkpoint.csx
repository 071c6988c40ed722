// Sample from a trained checkpoint (or run directory) with its EMA generator and save a grid.
//   lddgan run recipes/sample-checkpoint.csx -- --from=runs/ddgan-quick-csx --n=64 --out=samples.png
string from = Argument("from", "runs/ddgan-quick-csx");
// (Top-level `using var` is not available in scripts: dispose explicitly.)
var session = LoadCheckpoint(from);
Log($"{session.CheckpointPath}: step {session.Meta.GlobalStep}, NFE {session.NumTimesteps}, {(session.UsesEma ? "EMA" : "raw")} weights");
var samples = session.Sample(Argument("n", 64), seed: Argument("seed", 1L), batchSize: 64);
SaveGrid(samples, Argument("out", "samples.png"));
samples.Dispose();
session.Dispose();
