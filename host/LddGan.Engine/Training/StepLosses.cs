namespace LddGan.Engine.Training;

/// <summary>The losses of one optimisation step. <see cref="R1"/> is NaN on steps without the (lazy) penalty.</summary>
public readonly record struct StepLosses(double DReal, double DFake, double R1, double GAdversarial, double GReconstruction, double G);

/// <summary>Thrown when a loss becomes NaN or infinite; training stops and nothing is saved over the last good checkpoint.</summary>
public sealed class TrainingDivergedException(long step, string loss, double value)
    : Exception($"training diverged at step {step}: {loss} = {value}. The last good checkpoint was kept. " +
                "Try a lower learning rate, a larger r1_gamma, or resume from the checkpoint with a different seed.")
{
    public long Step { get; } = step;
    public string Loss { get; } = loss;
}
