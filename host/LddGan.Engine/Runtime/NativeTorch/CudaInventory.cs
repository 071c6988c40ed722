using System.Runtime.InteropServices;
using System.Text;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>One GPU as the CUDA driver reports it.</summary>
public sealed record GpuDevice(int Index, string Name, long TotalMemoryBytes, int ComputeMajor, int ComputeMinor);

/// <summary>
/// What this process really runs on, asked of the loaded libraries themselves (not of compile-time constants): the
/// libtorch file mapped into the process, the CUDA driver and runtime versions, the cuDNN version, and every GPU.
/// Read after libtorch is initialised; each part is null when its library is absent.
/// </summary>
public sealed record CudaInventory
{
    public string? LibTorchFile { get; init; }
    public string? DriverVersion { get; init; }
    public string? RuntimeVersion { get; init; }
    public string? RuntimeFile { get; init; }
    public string? CudnnVersion { get; init; }
    public string? CudnnFile { get; init; }
    public IReadOnlyList<GpuDevice> Gpus { get; init; } = [];
    public string? DriverNote { get; init; }

    private delegate int IntOut(out int value);
    private delegate int DeviceCount(out int count);
    private delegate int DeviceGet(out int device, int ordinal);
    private delegate int DeviceName(byte[] name, int length, int device);
    private delegate int DeviceTotalMem(out nuint bytes, int device);
    private delegate int DeviceAttribute(out int value, int attribute, int device);
    private delegate int Init(uint flags);
    private delegate nuint CudnnGetVersion();

    /// <param name="cudaLibraryDirectories">Where to look for cuDNN when libtorch has not mapped it yet.</param>
    public static CudaInventory Read(IReadOnlyList<string> cudaLibraryDirectories)
    {
        if (!OperatingSystem.IsLinux()) return new CudaInventory { DriverNote = "only read on Linux" };
        var mapped = MappedLibraries();
        string? Find(string prefix) => mapped.FirstOrDefault(p => Path.GetFileName(p).StartsWith(prefix, StringComparison.Ordinal));

        string? runtimeFile = Find("libcudart.so");
        string? runtime = runtimeFile is null ? null : Call<IntOut>(runtimeFile, "cudaRuntimeGetVersion", f => f(out int v) == 0 ? CudaVersion(v) : null);
        string? cudnnFile = Find("libcudnn.so") ?? cudaLibraryDirectories
            .SelectMany(d => Directory.EnumerateFiles(d, "libcudnn.so*")).Order(StringComparer.Ordinal).FirstOrDefault();
        string? cudnn = cudnnFile is null ? null : Call<CudnnGetVersion>(cudnnFile, "cudnnGetVersion", f => CudnnVersionText((long)f()));

        var (driver, gpus, note) = ReadDriver();
        return new CudaInventory
        {
            LibTorchFile = Find("libtorch_cpu.so"), DriverVersion = driver, RuntimeVersion = runtime, RuntimeFile = runtimeFile,
            CudnnVersion = cudnn, CudnnFile = cudnnFile, Gpus = gpus, DriverNote = note,
        };
    }

    private static (string? Driver, IReadOnlyList<GpuDevice> Gpus, string? Note) ReadDriver()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var cuda)) return (null, [], "no NVIDIA driver (libcuda.so.1 not found)");
        T Export<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(cuda, name));
        int status = Export<Init>("cuInit")(0);
        if (status != 0) return (null, [], $"the CUDA driver did not initialise (cuInit error {status}: no GPU visible?)");
        string? driver = Export<IntOut>("cuDriverGetVersion")(out int version) == 0 ? CudaVersion(version) : null;
        Export<DeviceCount>("cuDeviceGetCount")(out int count);
        var getDevice = Export<DeviceGet>("cuDeviceGet");
        var getName = Export<DeviceName>("cuDeviceGetName");
        var totalMemory = Export<DeviceTotalMem>("cuDeviceTotalMem_v2");
        var attribute = Export<DeviceAttribute>("cuDeviceGetAttribute");
        var gpus = new List<GpuDevice>();
        for (int i = 0; i < count; i++)
        {
            if (getDevice(out int device, i) != 0) continue;
            var name = new byte[256];
            getName(name, name.Length, device);
            totalMemory(out nuint bytes, device);
            attribute(out int major, 75, device);   // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
            attribute(out int minor, 76, device);   // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
            gpus.Add(new GpuDevice(i, Encoding.ASCII.GetString(name).TrimEnd('\0'), (long)bytes, major, minor));
        }
        return (driver, gpus, null);
    }

    private static string? Call<T>(string file, string export, Func<T, string?> call) where T : Delegate
    {
        if (!NativeLibrary.TryLoad(file, out var handle) || !NativeLibrary.TryGetExport(handle, export, out var address)) return null;
        return call(Marshal.GetDelegateForFunctionPointer<T>(address));
    }

    private static string CudaVersion(int v) => $"{v / 1000}.{v % 1000 / 10}";

    // cuDNN 9 encodes major·10000 + minor·100 + patch (cuDNN 8: major·1000 + minor·100 + patch).
    private static string CudnnVersionText(long v) => v >= 10000 ? $"{v / 10000}.{v % 10000 / 100}.{v % 100}" : $"{v / 1000}.{v % 1000 / 100}.{v % 100}";

    /// <summary>Paths of the shared libraries mapped into this process.</summary>
    public static IReadOnlyList<string> MappedLibraries()
    {
        if (!File.Exists("/proc/self/maps")) return [];
        return File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var i and >= 0 ? line[i..] : null)
            .Where(p => p is not null && p.Contains(".so", StringComparison.Ordinal))
            .Distinct().Cast<string>().ToList();
    }
}
