using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Data;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Sessions;
using LddGan.Engine.Training;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>Turns the failures a user can fix into a clear message and an exit code, never a bare stack trace.</summary>
public static class ErrorReporting
{
    public const int Ok = 0, BadInput = 1, Diverged = 3, Interrupted = 130, Internal = 70, Unavailable = 69;

    /// <param name="signals">When given, a cancelled run exits with the code of the signal that stopped it (130 or 143).</param>
    public static int Run(Func<int> action, StopSignals? signals = null)
    {
        try
        {
            return action();
        }
        catch (RecipeException e) { return Fail("recipe", e.Message); }
        catch (LddGan.Scripting.ScriptCompilationException e) { return Fail("script", e.Message); }
        // A script whose training was stopped by a signal: the training saved and said how to resume.
        catch (LddGan.Scripting.ScriptRuntimeException e) when (e.InnerException is OperationCanceledException) { return signals?.ExitCode ?? Interrupted; }
        catch (LddGan.Scripting.ScriptRuntimeException e) { return Fail("script", e.Message); }
        catch (ComponentResolutionException e) { return Fail("component", e.Message); }
        catch (LddGan.Engine.Plugins.PluginLoadException e) { return Fail("plugin", e.Message); }
        catch (CheckpointException e) { return Fail("checkpoint", e.Message); }
        catch (LddGan.Interop.ImportException e) { return Fail("import", e.Message); }
        catch (LddGan.Interop.InteropException e) { return Fail("checkpoint", e.Message); }
        catch (DatasetException e) { return Fail("data", e.Message); }
        catch (RunSetupException e) { return Fail("run", e.Message); }
        catch (LddGan.Engine.Runtime.DeviceUnavailableException e) { return Fail("device", e.Message); }
        catch (UsageException e) { return Fail("usage", e.Message); }
        catch (Exception e) when (TrainingRetries.IsOutOfMemory(e))
        {
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return Fail("memory", $"libtorch could not allocate the memory asked for ({FirstLine(e.Message)}); this machine has " +
                                  $"{LddGan.Engine.Runtime.MachineMemory.Format(available)}. Lower the sizes in the recipe (nf, ch_mult, ngf, batch_size, image_size) " +
                                  "or use a machine with more memory.");
        }
        catch (LddGan.Evaluation.EvaluationException e) { return Fail("evaluation", e.Message); }
        // A file the user named that cannot be read or written (a full disk, a missing folder, no permission).
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail("file", $"{e.Message}\nCheck the path, its permissions and the free disk space; files already saved are untouched.");
        }
        catch (TrainingDivergedException e) { Fail("training", e.Message); return Diverged; }
        // libtorch's own errors (TorchSharp raises them as ExternalException) after what a user can fix was caught above.
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            Fail("libtorch", $"{FirstLine(e.Message)}\nA training keeps its latest checkpoint: `lddgan train <recipe> --resume -o <run>` continues it " +
                             "(and `lddgan train` retries such a failure by itself, --retries). An error that comes back at the same point is a bug; its details follow.");
            Console.Error.WriteLine(e);
            return Internal;
        }
        catch (OperationCanceledException) { return signals?.ExitCode ?? Interrupted; }
        catch (InvalidOperationException e) when (e.StackTrace?.Contains("LddGan.Engine") == true) { return Fail("error", e.Message); }
        catch (Exception e)
        {
            AnsiConsole.MarkupLine($"[red]internal error:[/] {Markup.Escape(e.GetType().Name)}: {Markup.Escape(e.Message)}");
            AnsiConsole.MarkupLine("[grey]This is a bug in LddGan.Framework; the details follow.[/]");
            Console.Error.WriteLine(e);
            return Internal;
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static int Fail(string what, string message)
    {
        Console.Error.WriteLine($"{what} error:");
        foreach (var line in message.Split('\n')) Console.Error.WriteLine("  " + line.TrimEnd());
        return BadInput;
    }
}
