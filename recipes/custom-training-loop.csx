// A training loop written in the script against the same components a recipe builds: here a plain loop that runs
// the framework's DDGAN step on batches it draws itself, and prints the discriminator's accuracy on real pairs.
//   lddgan run recipes/custom-training-loop.csx -- --steps=20
#load "common.csx"

var recipe = QuickDdgan(Argument("steps", 20L)).Build();
var c = BuildComponents(recipe);
var rng = new LddGan.Engine.Runtime.RandomStreams(recipe.Seed);
var trainer = new DiffusionGanTrainer(c, recipe.Train, rng, CPU);
long steps = recipe.Train.MaxSteps;
var order = randperm(c.Dataset.Count, generator: rng.DataOrder).data<long>().ToArray();
for (long step = 0; step < steps; step++)
{
    using var scope = NewDisposeScope();
    var batch = c.Dataset.GetBatch(order.AsSpan((int)(step * recipe.Train.BatchSize), recipe.Train.BatchSize), rng.Augmentation);
    var losses = trainer.TrainStep(c.LatentSpace.Encode(batch));
    if (step % 5 == 0) Log($"step {step}: D real {losses.DReal:F3} fake {losses.DFake:F3} | G {losses.G:F3}");
}
// Save it as a regular checkpoint (lddgan sample reads it too), then sample from it.
string checkpoint = Argument("checkpoint", "runs/custom-loop/latest.ckpt");
SaveCheckpoint(checkpoint, recipe, c, trainer, rng);
using (var scope = NewDisposeScope())
    SaveGrid(Sample(checkpoint, 16, seed: 3), Argument("out", "runs/custom-loop/grid.png"));
trainer.Dispose(); rng.Dispose();
c.Generator.Dispose(); c.GeneratorEma?.Dispose(); c.Discriminator.Dispose(); c.Process.Dispose(); c.LatentSpace.Dispose(); c.Dataset.Dispose();
