// A loss schedule written inline: the weight of the L1 reconstruction of x0 ramps linearly from 1 to 0 over the
// run (a linear cousin of LDDGAN's sigmoid "Weighted Learning"), registered under a name and used like any component.
//   lddgan run recipes/custom-loss-schedule.csx -- --steps=64
#load "common.csx"

Register(ComponentKind.LossSchedule, "linear-ramp",
         (RampOptions o, ComponentContext c) => new LinearRamp(o.Start, o.End, o.Steps));

long steps = Argument("steps", 64L);
var recipe = QuickDdgan(steps).Loss("linear-ramp", new { start = 1.0, end = 0.0, steps }).Build();
var result = Train(recipe, runDirectory: Argument("out", "runs/custom-loss-schedule"),
                   onStep: r => { if (r.Step % 16 == 0) Log($"  step {r.Step}: L1(x0) {r.Losses.GReconstruction:F4}, G {r.Losses.G:F3}"); });
Log($"done: {result.CheckpointPath}");

public sealed record RampOptions
{
    public double Start { get; init; } = 1.0;
    public double End { get; init; } = 0.0;
    public long Steps { get; init; } = 1000;   // the ramp's length in training steps
}

public sealed class LinearRamp(double start, double end, long steps) : ILossSchedule
{
    public GeneratorLossWeights WeightsAt(TrainingProgress p) =>
        new(Adversarial: 1.0, Reconstruction: start + (end - start) * Math.Min(1.0, (double)p.GlobalStep / Math.Max(1, steps)));
}
