using System.Globalization;
using LddGan.Abstractions;

namespace LddGan.Plugins.Gaussian;

/// <summary>
/// Options of the DDPM forward process (recipe table <c>[diffusion]</c>, type <c>ddpm</c>). The linear schedule is
/// score_sde's discrete DDPM schedule: β_k = linspace(beta_min / T, beta_max / T, T), which with the defaults (0.1, 20,
/// T = 1000) is Ho et al.'s 1e-4 … 0.02. The cosine schedule is Nichol &amp; Dhariwal's (offset <c>cosine_s</c>, β ≤ 0.999).
/// </summary>
public sealed record GaussianDiffusionOptions : IValidatableOptions, IGaussianDiffusionOptions
{
    public const int MaxTimesteps = 4000;

    /// <summary>Number of diffusion steps T (DDPM: 1000).</summary>
    public int NumTimesteps { get; init; } = 1000;

    /// <summary>The β schedule: <c>linear</c> (DDPM) or <c>cosine</c> (improved DDPM).</summary>
    public string BetaSchedule { get; init; } = "linear";

    /// <summary>β_min of score_sde's VP SDE; the linear schedule's first β is beta_min / T.</summary>
    public double BetaMin { get; init; } = 0.1;

    /// <summary>β_max of score_sde's VP SDE; the linear schedule's last β is beta_max / T.</summary>
    public double BetaMax { get; init; } = 20.0;

    /// <summary>The cosine schedule's offset s (improved DDPM: 0.008).</summary>
    public double CosineS { get; init; } = 0.008;

    /// <summary>What the network predicts: <c>epsilon</c> (DDPM) or <c>v</c> (v-prediction).</summary>
    public string PredictionType { get; init; } = "epsilon";

    /// <summary>Clip predicted x_0 to [−1, 1] while sampling (DDPM's images); set false for data outside that range.</summary>
    public bool ClipSample { get; init; } = true;

    PredictionType IGaussianDiffusionOptions.Prediction => PredictionType == "v" ? Abstractions.PredictionType.V : Abstractions.PredictionType.Epsilon;

    public IEnumerable<string> Validate()
    {
        if (NumTimesteps < 2 || NumTimesteps > MaxTimesteps)
            yield return $"num_timesteps must be between 2 and {MaxTimesteps}, not {NumTimesteps}.";
        if (BetaSchedule is not ("linear" or "cosine"))
            yield return $"beta_schedule must be \"linear\" or \"cosine\", not \"{BetaSchedule}\".";
        if (PredictionType is not ("epsilon" or "v"))
            yield return $"prediction_type must be \"epsilon\" or \"v\", not \"{PredictionType}\".";
        if (BetaSchedule == "linear")
        {
            if (!(BetaMin > 0) || double.IsInfinity(BetaMin))
                yield return $"beta_min must be a positive finite number, not {Format(BetaMin)}.";
            else if (!(BetaMax > BetaMin) || !(BetaMax / NumTimesteps < 1))
                yield return $"beta_max must be greater than beta_min ({Format(BetaMin)}) and below T = {NumTimesteps} (β = beta_max / T must stay below 1), not {Format(BetaMax)}.";
        }
        else if (!(CosineS > 0) || !(CosineS < 1))
            yield return $"cosine_s must lie in (0, 1), not {Format(CosineS)}.";
    }

    private static string Format(double v) => v.ToString("G7", CultureInfo.InvariantCulture);
}
