using LddGan.Engine.Sessions;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>
/// Shows training as a progress bar (step, losses, images/s, ETA) on a terminal; when output is redirected
/// (CI, logs) it prints a plain line every <c>log_every</c> steps instead.
/// </summary>
public sealed class SpectreTrainingObserver(ProgressTask? task, int printEvery) : ITrainingObserver
{
    private string _losses = "D … G …";

    public void Started(TrainingPlan plan)
    {
        if (task is not null) { task.MaxValue = plan.TotalSteps; task.Value = plan.StartStep; }
        AnsiConsole.MarkupLine(
            $"training [bold]{plan.TotalSteps - plan.StartStep:N0}[/] steps ({plan.BatchesPerEpoch:N0}/epoch, {plan.NumEpochs} epochs max) " +
            $"on [bold]{Markup.Escape(plan.Device)}[/], {plan.Parameters:N0} trained parameters → {Markup.Escape(plan.RunDirectory)}");
    }

    public void Stepped(StepReport r)
    {
        // Losses are shown when the session has read them (every log_every steps): reading them here would make the
        // host wait for the GPU at every step.
        if (r.LossesRead)
            _losses = r.PendingLosses.Adversarial ? $"D {DiscriminatorLoss(r.Losses)} G {r.Losses.G:F3}" : $"loss {r.Losses.G:F4}";
        string text = $"step {r.Step} ep {r.Epoch} | {_losses} | {Rate(r.ImagesPerSecond)} img/s";
        if (task is not null)
        {
            task.Value = r.Step;
            task.Description = Markup.Escape(text);
        }
        else if (printEvery > 0 && r.Step % printEvery == 0)
        {
            string eta = r.Eta is { } e ? $" | ETA {Duration(e)}" : "";
            Console.WriteLine($"{text}{eta}");
        }
    }

    /// <summary>0.17 img/s stays 0.17, not 0.</summary>
    private static string Rate(double perSecond) => perSecond >= 100 ? $"{perSecond:F0}" : perSecond >= 1 ? $"{perSecond:F1}" : $"{perSecond:F2}";

    /// <summary>h:mm:ss, with the days in front when there are any (hh:mm:ss alone drops them).</summary>
    public static string Duration(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays}d {t:hh\\:mm\\:ss}" : $"{(int)t.TotalHours}:{t:mm\\:ss}";

    public void Note(string message)
    {
        if (task is not null) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
        else Console.WriteLine(message);
    }

    /// <summary>D's loss, or "—" while the discriminator is not trained yet (an autoencoder before disc_start).</summary>
    private static string DiscriminatorLoss(LddGan.Engine.Training.StepLosses l) => double.IsNaN(l.DReal + l.DFake) ? "—" : (l.DReal + l.DFake).ToString("F3");
}
