using System.Globalization;
using LddGan.Abstractions;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// Options of the DDGAN forward process (recipe table <c>[diffusion]</c>, type <c>vp</c>); the official flags
/// <c>--num_timesteps</c>, <c>--beta_min</c>, <c>--beta_max</c>, <c>--use_geometric</c> with their defaults.
/// </summary>
public sealed record DiffusionOptions : IValidatableOptions, IDiffusionProcessOptions
{
    public const int MaxTimesteps = 1000;

    /// <summary>Number of diffusion steps T (official default 4).</summary>
    public int NumTimesteps { get; init; } = 4;

    /// <summary>β_min of the continuous VP schedule (official default 0.1).</summary>
    public double BetaMin { get; init; } = 0.1;

    /// <summary>β_max of the continuous VP schedule (official default 20).</summary>
    public double BetaMax { get; init; } = 20.0;

    /// <summary>Geometric variance var(τ) = β_min·(β_max/β_min)^τ instead of the VP one. Unusable with the default β range.</summary>
    public bool UseGeometric { get; init; }

    public IEnumerable<string> Validate()
    {
        bool rangeOk = true;
        if (NumTimesteps < 1 || NumTimesteps > MaxTimesteps)
        {
            yield return $"num_timesteps must be between 1 and {MaxTimesteps}, not {NumTimesteps}.";
            rangeOk = false;
        }
        if (!(BetaMin > 0) || double.IsInfinity(BetaMin))
        {
            yield return $"beta_min must be a positive finite number, not {Format(BetaMin)}.";
            rangeOk = false;
        }
        if (!(BetaMax > BetaMin) || double.IsInfinity(BetaMax))
        {
            yield return $"beta_max must be a finite number greater than beta_min ({Format(BetaMin)}), not {Format(BetaMax)}.";
            rangeOk = false;
        }
        if (!rangeOk) yield break;

        // The discrete betas must be probabilities: a schedule whose betas leave (0, 1) has no forward process.
        double[] betas = DiffusionTables.DiscreteBetas(this);
        for (int i = 1; i < betas.Length; i++)
        {
            float single = (float)betas[i];
            if (!(betas[i] > 0) || !(single < 1f))
            {
                string schedule = UseGeometric ? "use_geometric = true" : "the VP schedule";
                string advice = UseGeometric
                    ? "the geometric variance β_min·(β_max/β_min)^τ exceeds 1 for these values; set use_geometric = false (every published config does), or choose beta_max < 1"
                    : "choose beta_min/beta_max closer to the defaults (0.1, 20) or change the number of steps";
                // The recipe loader attributes a message to the longest key it mentions: keep use_geometric/beta_* the only keys here.
                yield return $"{schedule} with beta_min = {Format(BetaMin)}, beta_max = {Format(BetaMax)} and T = {NumTimesteps} " +
                             $"gives betas outside (0, 1) (β_{i} = {Format(betas[i])}): {advice}.";
                yield break;
            }
        }
    }

    private static string Format(double v) => v.ToString("G7", CultureInfo.InvariantCulture);
}
