using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using LddGan.Engine.Components;
using LddGan.Engine.Runtime.NativeTorch;
using TorchSharp;

namespace LddGan.Evaluation.Benchmarks;

/// <summary>How <see cref="SamplingBenchmark"/> times a model.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Timed runs; the median is reported.</summary>
    public int Repeats { get; init; } = 7;
    /// <summary>Untimed runs first (allocator, kernels, caches).</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Samples per generator call.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Images generated per timed run (time is reported per 100 images).</summary>
    public int Images { get; init; } = 100;
    public long Seed { get; init; } = 1;
    /// <summary>Device (default: each recipe's).</summary>
    public string? Device { get; init; }
    /// <summary>How a Gaussian diffusion model samples (null: its recipe's [sample] keys); ignored by a diffusion GAN.</summary>
    public LddGan.Engine.Diffusion.GaussianSamplerSettings? Sampling { get; init; }
    /// <summary>TF32 on a CUDA device (default: the recipe's <c>[runtime] tf32</c>).</summary>
    public bool? Tf32 { get; init; }
    /// <summary>cuDNN autotuning on a CUDA device (default: the recipe's <c>[runtime] cudnn_benchmark</c>).</summary>
    public bool? CudnnBenchmark { get; init; }

    public IEnumerable<string> Validate()
    {
        if (Repeats < 1) yield return $"--repeats must be at least 1, got {Repeats}";
        if (Warmup < 0) yield return $"--warmup must be 0 or more, got {Warmup}";
        if (BatchSize < 1) yield return $"--batch must be at least 1, got {BatchSize}";
        if (Images < 1) yield return $"--images must be at least 1, got {Images}";
    }
}

/// <summary>One model's numbers (see <see cref="SamplingBenchmark"/> for what each measures).</summary>
public sealed record BenchmarkResult
{
    public required string Label { get; init; }
    public required string Source { get; init; }
    public bool Trained { get; init; }
    public required string LatentSpace { get; init; }
    public required string LatentShape { get; init; }
    public int Nfe { get; init; }
    public long GeneratorParameters { get; init; }
    public long DecoderParameters { get; init; }
    public long TotalParameters => GeneratorParameters + DecoderParameters;
    /// <summary>Median wall time to generate and decode 100 images.</summary>
    public double SecondsPer100Images { get; init; }
    /// <summary>Every timed run, in seconds for <see cref="Images"/> images.</summary>
    public required IReadOnlyList<double> RunSeconds { get; init; }
    /// <summary>Timed in rounds with other models (<see cref="SamplingBenchmark.RunSideBySide"/>): run i of each was made in the same round.</summary>
    public bool TimedSideBySide { get; init; }
    public int Images { get; init; }
    public int BatchSize { get; init; }
    public int Warmup { get; init; }
    /// <summary>Multiply-adds per generated sample (all NFE generator calls plus decoding), convolution and linear layers only.</summary>
    public long MacsPerSample { get; init; }
    public long FlopsPerSample => 2 * MacsPerSample;
    /// <summary>The part of <see cref="MacsPerSample"/> spent decoding latents into images (0 without a decoder).</summary>
    public long DecodingMacsPerSample { get; init; }
    public long DecodingFlopsPerSample => 2 * DecodingMacsPerSample;
    public required IReadOnlyDictionary<string, long> MacsPerSampleByLayerType { get; init; }
    /// <summary>
    /// Peak RSS of the process from just before loading the model to the end of its timed runs, in bytes; side by side
    /// (<see cref="TimedSideBySide"/>), to the end of its warm-up, before the next model loads.
    /// </summary>
    public long? PeakRssBytes { get; init; }
    /// <summary>RSS when the peak was reset, i.e. what was already resident (runtime, libtorch, earlier models' leftovers).</summary>
    public long? BaselineRssBytes { get; init; }
    /// <summary>False when the peak could not be reset: then <see cref="PeakRssBytes"/> is the peak since the process started.</summary>
    public bool PeakWasReset { get; init; }
    public required string Device { get; init; }
    public int Threads { get; init; }
    /// <summary>Whether CUDA convolutions and matrix products ran with TF32 (null on the CPU).</summary>
    public bool? Tf32 { get; init; }
    /// <summary>Whether cuDNN autotuning was on (null on the CPU).</summary>
    public bool? CudnnBenchmark { get; init; }
    /// <summary>Peak device memory in use on a GPU (CUDA driver, whole device) while the model was loaded and timed (bytes).</summary>
    public long? PeakGpuBytes { get; init; }
    /// <summary>Device memory in use before the model was loaded (bytes).</summary>
    public long? BaselineGpuBytes { get; init; }
}

/// <summary>The lower and upper quartile of a set of ratios.</summary>
public sealed record RatioQuartiles(double Lower, double Upper);

/// <summary>A model's numbers relative to a baseline (value / baseline value).</summary>
/// <remarks>
/// For two models timed side by side (<see cref="SamplingBenchmark.RunSideBySide"/>) the time ratio is the median of the
/// run-by-run ratios, each of two runs made back to back, so a slow spell of a shared machine cancels out, and
/// <see cref="TimeSpread"/> gives their quartiles; otherwise it is the ratio of the medians.
/// </remarks>
public sealed record BenchmarkRatios(string Label, double Time, double Parameters, double Flops, double? PeakRss)
{
    /// <summary>The lower and upper quartile of the per-round time ratios (side by side only).</summary>
    public RatioQuartiles? TimeSpread { get; init; }

    public static BenchmarkRatios Of(BenchmarkResult result, BenchmarkResult baseline)
    {
        var perRound = PerRoundTimeRatios(result, baseline);
        return new BenchmarkRatios(
            result.Label,
            perRound is null ? result.SecondsPer100Images / baseline.SecondsPer100Images : SamplingBenchmark.Median(perRound),
            (double)result.TotalParameters / baseline.TotalParameters,
            baseline.MacsPerSample == 0 ? double.NaN : (double)result.MacsPerSample / baseline.MacsPerSample,
            result.PeakRssBytes is { } p && baseline.PeakRssBytes is { } b && b > 0 ? (double)p / b : null)
        {
            TimeSpread = perRound is null ? null : new RatioQuartiles(SamplingBenchmark.Quantile(perRound, 0.25), SamplingBenchmark.Quantile(perRound, 0.75)),
        };
    }

    private static double[]? PerRoundTimeRatios(BenchmarkResult result, BenchmarkResult baseline)
    {
        bool paired = result.TimedSideBySide && baseline.TimedSideBySide && result.Images == baseline.Images
                      && result.RunSeconds.Count == baseline.RunSeconds.Count && result.RunSeconds.Count > 0;
        return paired ? result.RunSeconds.Zip(baseline.RunSeconds, (r, b) => r / b).ToArray() : null;
    }
}

/// <summary>
/// Times sampling as the diffusion-GAN papers do: the wall time to generate (and decode) 100 images, median over
/// repeated runs after warm-up runs, in one process. Also reports NFE, parameters (generator, decoder), multiply-adds per
/// sample (<see cref="FlopCounter"/>, on one extra 1-sample run) and the peak RSS (<see cref="PeakMemory"/>).
/// </summary>
public static class SamplingBenchmark
{
    public static BenchmarkResult Run(string checkpointOrRecipe, ComponentCatalog catalog, BenchmarkOptions options, Action<string>? log = null)
    {
        CheckOptions(options);
        using var model = PreparedModel.Load(checkpointOrRecipe, catalog, options, sharesProcess: false);
        for (int i = 0; i < options.Repeats; i++) model.TimeRun(i, log);
        return model.Result(sideBySide: false);
    }

    /// <summary>
    /// Several models side by side in this process: each is loaded, counted and warmed up in turn, then the timed runs go
    /// in rounds, every model once per round and the first model of a round rotating, so that a slow spell of a shared
    /// machine falls on all of them alike; <see cref="BenchmarkRatios.Of"/> then compares them run by run. All models stay
    /// loaded until the end: a model's peak RSS is read at the end of its warm-up and includes the models loaded before it.
    /// </summary>
    public static IReadOnlyList<BenchmarkResult> RunSideBySide(IReadOnlyList<string> checkpointsOrRecipes, ComponentCatalog catalog,
                                                               BenchmarkOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(checkpointsOrRecipes);
        if (checkpointsOrRecipes.Count == 0) throw new ArgumentException("no models to benchmark", nameof(checkpointsOrRecipes));
        CheckOptions(options);
        var models = new List<PreparedModel>();
        try
        {
            bool shared = checkpointsOrRecipes.Count > 1;
            foreach (var target in checkpointsOrRecipes) models.Add(PreparedModel.Load(target, catalog, options, shared));
            for (int run = 0; run < options.Repeats; run++)
                for (int k = 0; k < models.Count; k++)
                    models[(run + k) % models.Count].TimeRun(run, log);
            return models.Select(m => m.Result(sideBySide: shared)).ToList();
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
    }

    private static void CheckOptions(BenchmarkOptions options)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new LddGan.Evaluation.EvaluationException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>A model loaded, counted and warmed up, ready for timed runs.</summary>
    private sealed class PreparedModel : IDisposable
    {
        private readonly BenchmarkModel _model;
        private readonly BenchmarkOptions _options;
        private GpuMemoryMonitor? _gpuMemory;   // polls until the peaks are read, then stops
        private readonly bool _peakWasReset;
        private readonly long? _baselineRss;
        private readonly FlopCount _flops;
        private readonly long _decodingMacs;
        private readonly bool? _cudnnBenchmark;
        private readonly List<double> _times = [];
        private long? _peakRss;
        private long? _peakGpu;
        private long? _baselineGpu;
        private bool _peaksRead;

        private PreparedModel(BenchmarkModel model, BenchmarkOptions options, GpuMemoryMonitor? gpuMemory, bool peakWasReset,
                              long? baselineRss, FlopCount flops, long decodingMacs, bool? cudnnBenchmark)
        {
            _model = model;
            _options = options;
            _gpuMemory = gpuMemory;
            _peakWasReset = peakWasReset;
            _baselineRss = baselineRss;
            _flops = flops;
            _decodingMacs = decodingMacs;
            _cudnnBenchmark = cudnnBenchmark;
        }

        private bool Cuda => _model.Device.type == DeviceType.CUDA;

        /// <param name="sharesProcess">Other models will load and run after this one: read its peak memory after its warm-up.</param>
        public static PreparedModel Load(string checkpointOrRecipe, ComponentCatalog catalog, BenchmarkOptions options, bool sharesProcess)
        {
            bool reset = PeakMemory.TryReset();
            long? baseline = PeakMemory.CurrentBytes();
            var requestedDevice = options.Device is { } name ? LddGan.Engine.Runtime.DeviceSelection.Resolve(name) : null;
            var gpuMemory = requestedDevice is { } d ? GpuMemoryMonitor.StartFor(d) : null;
            BenchmarkModel? model = null;
            try
            {
                model = BenchmarkModel.Load(checkpointOrRecipe, catalog, options.Device, options.Sampling);
                bool cuda = model.Device.type == DeviceType.CUDA;
                if (gpuMemory is null && cuda) gpuMemory = GpuMemoryMonitor.StartFor(model.Device);
                if (cuda && options.Tf32 is { } tf32) LddGan.Engine.Runtime.DeviceSelection.SetTf32(tf32);
                var libtorch = LddGan.Engine.Runtime.NativeTorch.LibTorchContext.Open();
                if (cuda && options.CudnnBenchmark is { } autotune && libtorch is not null) libtorch.CudnnBenchmark = autotune;

                // One sample, counted twice over: every module sampling runs, and the decoding ones alone.
                FlopCount flops;
                long decodingMacs;
                using (var all = new FlopCounter([.. model.SamplingModules]))
                using (var decoding = new FlopCounter([.. model.DecodingModules]))
                {
                    model.Generate(1, options.Seed, 1).Dispose();
                    flops = all.Snapshot();
                    decodingMacs = decoding.MultiplyAdds;
                }
                var prepared = new PreparedModel(model, options, gpuMemory, reset, baseline, flops, decodingMacs,
                                                 cuda ? libtorch?.CudnnBenchmark : null);
                for (int i = 0; i < options.Warmup; i++) model.Generate(options.Images, options.Seed + i, options.BatchSize).Dispose();
                if (sharesProcess && options.Warmup > 0) prepared.ReadPeaks();
                return prepared;
            }
            catch
            {
                model?.Dispose();
                gpuMemory?.Dispose();
                throw;
            }
        }

        public void TimeRun(int run, Action<string>? log)
        {
            // Generate copies the samples to the CPU, which waits for the GPU; the explicit synchronisations make the
            // timer start on an idle device and stop after every kernel has finished.
            if (Cuda) torch.cuda.synchronize(_model.Device);
            var clock = Stopwatch.StartNew();
            _model.Generate(_options.Images, _options.Seed + _options.Warmup + run, _options.BatchSize).Dispose();
            if (Cuda) torch.cuda.synchronize(_model.Device);
            _times.Add(clock.Elapsed.TotalSeconds);
            log?.Invoke($"{_model.Label}: run {run + 1}/{_options.Repeats}: {_times[^1]:F3} s");
        }

        private void ReadPeaks()
        {
            _peaksRead = true;
            _peakRss = PeakMemory.PeakBytes(seenSince: _baselineRss);
            _peakGpu = _gpuMemory?.PeakBytes;
            _baselineGpu = _gpuMemory?.BaselineBytes;
            _gpuMemory?.Dispose();
            _gpuMemory = null;
        }

        public BenchmarkResult Result(bool sideBySide)
        {
            if (!_peaksRead) ReadPeaks();
            return new BenchmarkResult
            {
                Label = _model.Label,
                Source = _model.Source,
                Trained = _model.Trained,
                LatentSpace = _model.Recipe.Latent.Type,
                LatentShape = _model.LatentShape.ToString(),
                Nfe = _model.Nfe,
                GeneratorParameters = _model.GeneratorParameters,
                DecoderParameters = _model.DecoderParameters,
                SecondsPer100Images = Median(_times) * 100.0 / _options.Images,
                RunSeconds = _times.ToArray(),
                TimedSideBySide = sideBySide,
                Images = _options.Images,
                BatchSize = _options.BatchSize,
                Warmup = _options.Warmup,
                MacsPerSample = _flops.MultiplyAdds,
                DecodingMacsPerSample = _decodingMacs,
                MacsPerSampleByLayerType = _flops.ByLayerType,
                PeakRssBytes = _peakRss,
                BaselineRssBytes = _baselineRss,
                PeakWasReset = _peakWasReset,
                Device = _model.Device.ToString(),
                Threads = torch.get_num_threads(),
                Tf32 = Cuda ? torch.backends.cudnn.allow_tf32 && torch.backends.cuda.matmul.allow_tf32 : null,
                CudnnBenchmark = _cudnnBenchmark,
                PeakGpuBytes = _peakGpu,
                BaselineGpuBytes = _baselineGpu,
            };
        }

        public void Dispose()
        {
            _model.Dispose();
            _gpuMemory?.Dispose();
        }
    }

    /// <summary>The q-quantile (0 ≤ q ≤ 1), interpolating linearly between the sorted values (numpy's default).</summary>
    public static double Quantile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("the quantile of no values is undefined", nameof(values));
        if (q is < 0 or > 1 || double.IsNaN(q)) throw new ArgumentOutOfRangeException(nameof(q), q, "q must lie in [0, 1]");
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    public static double Median(IReadOnlyCollection<double> values) => Quantile(values, 0.5);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The results (and, with more than one, the ratios to the first) as JSON.</summary>
    public static string ToJson(IReadOnlyList<BenchmarkResult> results) => JsonSerializer.Serialize(new
    {
        created = DateTimeOffset.Now,
        machine = new { os = Environment.OSVersion.ToString(), cores = Environment.ProcessorCount },
        models = results,
        relative_to_first = results.Count > 1 ? results.Select(r => BenchmarkRatios.Of(r, results[0])).ToList() : null,
    }, Json);

    public static IReadOnlyList<BenchmarkResult> FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("models").Deserialize<List<BenchmarkResult>>(Json)
               ?? throw new InvalidDataException("no models in the benchmark JSON");
    }
}
