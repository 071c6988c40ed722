using System.Diagnostics;
using System.Runtime.InteropServices;
using LddGan.Tests.Runtime;
using NUnit.Framework;

namespace LddGan.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM stop every kind of training the same way: the current step ends, a checkpoint is written, the
/// way to resume is printed, and lddgan exits 130 or 143. Work that does not watch for a stop (a benchmark, a script
/// between trainings) ends at once. Runs the built CLI as a child process and signals it.
/// </summary>
[NonParallelizable]
public sealed class StopSignalTests
{
    private const string Recipe = """
        name = "signal-toy"
        seed = 3
        [data]
        type = "25-gaussians"
        count = 4096
        [generator]
        type = "toy-mlp"
        [discriminator]
        type = "toy-mlp"
        [train]
        batch_size = 64
        num_epochs = 1000
        threads = 1
        log_every = 1
        sample_every = 0
        checkpoint_every = 0
        """;

    private string _folder = "";

    [SetUp]
    public void CreateFolder() => Directory.CreateDirectory(_folder = Path.Combine(Path.GetTempPath(), $"lddgan-signals-{Guid.NewGuid():N}"));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int sigaction(int signal, IntPtr action, byte[] previous);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr signal(int signal, IntPtr handler);

    private const int Sigint = 2;
    private static readonly IntPtr SigDfl = 0, SigIgn = 1;

    /// <summary>
    /// Starts the child with SIGINT at its default disposition. A process started in the background by a
    /// non-interactive shell (as CI runners start jobs) has SIGINT ignored, its children inherit that, and .NET then
    /// leaves it ignored, as Unix asks of background jobs; these tests are about the foreground, so the test host
    /// undoes an inherited "ignore" for the child alone. (A handler the runtime installed is left untouched.)
    /// </summary>
    private static System.Diagnostics.Process StartWithDefaultSigint(ProcessStartInfo start)
    {
        var previous = new byte[256];   // struct sigaction; its first field is the handler
        bool ignored = sigaction(Sigint, IntPtr.Zero, previous) == 0 && BitConverter.ToInt64(previous, 0) == SigIgn;
        if (ignored) signal(Sigint, SigDfl);
        try { return System.Diagnostics.Process.Start(start)!; }
        finally { if (ignored) signal(Sigint, SigIgn); }
    }

    private static string Cli()
    {
        string dll = Path.Combine(RepositoryRoot.Find(), "host", "LddGan.Cli", "bin", "Release", "net10.0", "lddgan.dll");
        if (!File.Exists(dll)) Assert.Fail($"{dll} is not built (the test project builds it first)");
        return dll;
    }

    /// <summary>Starts lddgan with <paramref name="args"/>, signals it after its first training step, returns its exit code and output.</summary>
    private static (int ExitCode, string Output) RunAndSignal(int signal, params string[] args) =>
        RunAndSignalWhen(line => line.StartsWith("step "), signal, args);

    /// <summary>Starts lddgan with <paramref name="args"/>, signals it once it prints a line that is <paramref name="ready"/>.</summary>
    private static (int ExitCode, string Output) RunAndSignalWhen(Func<string, bool> ready, int signal, params string[] args) =>
        RunAndSignalWhen(ready, signal, secondSignalAfter: null, args);

    /// <summary>As above; with <paramref name="secondSignalAfter"/>, the same signal again after that delay.</summary>
    private static (int ExitCode, string Output) RunAndSignalWhen(Func<string, bool> ready, int signal, TimeSpan? secondSignalAfter, params string[] args)
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("POSIX signals");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Cli());
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = StartWithDefaultSigint(start);
        var output = new System.Text.StringBuilder();
        var stepped = new ManualResetEventSlim();
        child.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (output) output.AppendLine(e.Data); if (ready(e.Data)) stepped.Set(); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        bool started = stepped.Wait(TimeSpan.FromSeconds(90));
        if (started) kill(child.Id, signal);
        if (started && secondSignalAfter is { } delay)
        {
            Thread.Sleep(delay);
            kill(child.Id, signal);
        }
        if (!child.WaitForExit(TimeSpan.FromSeconds(90))) child.Kill(entireProcessTree: true);
        child.WaitForExit();
        Assert.That(started, Is.True, $"lddgan did not get to the point where it is signalled:\n{output}");
        lock (output) return (child.ExitCode, output.ToString());
    }

    private string WriteRecipe()
    {
        string path = Path.Combine(_folder, "toy.toml");
        File.WriteAllText(path, Recipe);
        return path;
    }

    /// <summary>A script that trains the toy recipe into <paramref name="run"/>, with more arguments for its <c>Train</c> call.</summary>
    private string WriteTrainingScript(string run, string trainArguments)
    {
        string recipe = WriteRecipe();
        string script = Path.Combine(_folder, "train.csx");
        File.WriteAllText(script, $"Train(LoadRecipe(\"{Path.GetFileName(recipe)}\"), runDirectory: @\"{run}\", {trainArguments});\n");
        return script;
    }

    private void AssertStoppedCleanly((int ExitCode, string Output) result, int expectedExit, string runDirectory)
    {
        Assert.That(result.ExitCode, Is.EqualTo(expectedExit), result.Output);
        Assert.That(File.Exists(Path.Combine(runDirectory, "checkpoints", "latest.ckpt")), Is.True, result.Output);
        Assert.That(result.Output, Does.Contain("interrupted at step").And.Contain("--resume"));
        Assert.That(Directory.GetFiles(Path.Combine(runDirectory, "checkpoints")).Where(f => f.Contains(".tmp")), Is.Empty, "no half-written checkpoint");
    }

    [Test]
    public void SigtermDuringTrainSavesAndExits143()
    {
        string run = Path.Combine(_folder, "run");
        AssertStoppedCleanly(RunAndSignal(15, "train", WriteRecipe(), "-o", run), 143, run);
    }

    [Test]
    public void SigintDuringRunOfATomlRecipeSavesAndExits130()
    {
        string run = Path.Combine(_folder, "run");
        AssertStoppedCleanly(RunAndSignal(2, "run", WriteRecipe(), "-o", run), 130, run);
    }

    [Test]
    public void SigtermDuringAScriptsTrainSavesAndExits143()
    {
        string run = Path.Combine(_folder, "run");
        AssertStoppedCleanly(RunAndSignal(15, "run", WriteTrainingScript(run, "printEvery: 1")), 143, run);
    }

    [Test]
    public void SigtermEndsABenchmarkAtOnceWithExit143()
    {
        // Nothing in a benchmark watches for a stop: the signal's default action ends it mid-run (here, of a million runs).
        var (exitCode, output) = RunAndSignalWhen(line => line.Contains("run 1/"), 15, "bench", WriteRecipe(), "--repeats", "1000000", "--warmup", "0");
        Assert.That(exitCode, Is.EqualTo(143), output);
    }

    [Test]
    public void SigtermEndsAScriptThatIsNotTrainingAtOnce()
    {
        // A script between trainings (here one that never ends) stops at once; while it trains, the training saves first (above).
        string script = Path.Combine(_folder, "forever.csx");
        File.WriteAllText(script, "Log(\"ready\");\nwhile (true) System.Threading.Thread.Sleep(50);\n");
        var (exitCode, output) = RunAndSignalWhen(line => line.Contains("ready"), 15, "run", script);
        Assert.That(exitCode, Is.EqualTo(143), output);
    }

    [Test]
    public void ASecondSigtermEndsATrainingAtOnce()
    {
        // Each step of this script's training takes 3 s (its step callback sleeps): the first SIGTERM asks the training to
        // stop after the step, the second, 0.3 s later, ends the process before that step is over.
        string script = WriteTrainingScript(Path.Combine(_folder, "run"), "onStep: _ => { Log(\"stepped\"); System.Threading.Thread.Sleep(3000); }");
        var (exitCode, output) = RunAndSignalWhen(line => line.Contains("stepped"), 15, TimeSpan.FromMilliseconds(300), "run", script);
        Assert.That(exitCode, Is.EqualTo(143), output);
        Assert.That(output, Does.Contain("stopping cleanly").And.Not.Contain("interrupted at step"), "the second signal did not wait for the step");
    }
}
