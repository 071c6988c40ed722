using System.CommandLine;
using LddGan.Engine.Diffusion;

namespace LddGan.Cli;

/// <summary>
/// <c>--sampler</c>, <c>--steps</c>, <c>--eta</c>, <c>--guidance</c> of <c>eval</c> and <c>bench</c>: how a Gaussian diffusion model
/// samples (a diffusion GAN ignores them). Without any of them, each checkpoint's own [sample] keys apply.
/// </summary>
internal sealed class SamplerFlags
{
    public Option<string?> Sampler { get; } = new("--sampler") { Description = "Gaussian diffusion models: ancestral (DDPM, all T steps) or ddim (default: the recipe's [sample] sampler)." };
    public Option<int?> Steps { get; } = new("--steps") { Description = "Gaussian diffusion models, DDIM: network steps evenly spaced over T (0: all T)." };
    public Option<double?> Eta { get; } = new("--eta") { Description = "Gaussian diffusion models, DDIM: η in [0, 1] (0: deterministic)." };
    public Option<double?> Guidance { get; } = new("--guidance") { Description = "Class-conditional Gaussian models: classifier-free guidance scale (1: conditional)." };

    public IEnumerable<Option> All => [Sampler, Steps, Eta, Guidance];

    /// <summary>The settings the flags give (DDIM when only --steps or --eta is given), or null when none is given.</summary>
    public GaussianSamplerSettings? Read(ParseResult parse)
    {
        string? sampler = parse.GetValue(Sampler);
        int? steps = parse.GetValue(Steps);
        double? eta = parse.GetValue(Eta), guidance = parse.GetValue(Guidance);
        if (sampler is null && steps is null && eta is null && guidance is null) return null;
        if (sampler is not (null or "ancestral" or "ddim")) throw new UsageException($"--sampler must be ancestral or ddim, got {sampler}.");
        if (steps is < 0) throw new UsageException($"--steps must be 0 (all T) or positive, got {steps}.");
        if (eta is { } e && !(e >= 0 && e <= 1)) throw new UsageException($"--eta must lie in [0, 1], got {e}.");
        if (guidance is { } g && !(g >= 0 && double.IsFinite(g))) throw new UsageException($"--guidance must be a number ≥ 0, got {g}.");
        string chosen = sampler ?? (steps is not null || eta is not null ? "ddim" : "ancestral");
        if (chosen == "ancestral" && (steps is > 0 || eta is > 0))
            throw new UsageException("--steps and --eta apply to the DDIM sampler; the ancestral sampler takes all T steps. Add --sampler ddim.");
        return new GaussianSamplerSettings(chosen, steps ?? 0, eta ?? 0, guidance ?? 1.0);
    }
}
