using System.Runtime.InteropServices;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// The peak GPU memory in use while it runs, sampled from the CUDA driver (<c>cuMemGetInfo</c>: total − free, for the
/// whole device, so it includes the CUDA context and libtorch's cached blocks) every <c>interval</c> on a background
/// thread. libtorch's own allocator statistics are C++ only; this is what <c>nvidia-smi</c> would show at the peak.
/// </summary>
public sealed class GpuMemoryMonitor : IDisposable
{
    private delegate int Retain(out IntPtr context, int device);
    private delegate int SetCurrent(IntPtr context);
    private delegate int MemGetInfo(out nuint free, out nuint total);

    private readonly Thread? _thread;
    private volatile bool _stop;
    private long _peak;

    /// <summary>Device memory in use when monitoring started (bytes).</summary>
    public long BaselineBytes { get; }
    /// <summary>The highest device memory in use seen so far (bytes); 0 when it cannot be measured.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);
    public bool Available => _thread is not null;

    private GpuMemoryMonitor(int device, TimeSpan interval)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libcuda.so.1", out var cuda)) return;
        var retain = Marshal.GetDelegateForFunctionPointer<Retain>(NativeLibrary.GetExport(cuda, "cuDevicePrimaryCtxRetain"));
        var setCurrent = Marshal.GetDelegateForFunctionPointer<SetCurrent>(NativeLibrary.GetExport(cuda, "cuCtxSetCurrent"));
        var memGetInfo = Marshal.GetDelegateForFunctionPointer<MemGetInfo>(NativeLibrary.GetExport(cuda, "cuMemGetInfo_v2"));
        if (retain(out var context, device) != 0) return;
        long Used() => memGetInfo(out var free, out var total) == 0 ? (long)total - (long)free : 0;
        var ready = new ManualResetEventSlim();
        long baseline = 0;
        _thread = new Thread(() =>
        {
            setCurrent(context);
            baseline = Used();
            Interlocked.Exchange(ref _peak, baseline);
            ready.Set();
            while (!_stop)
            {
                long used = Used();
                if (used > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, used);
                Thread.Sleep(interval);
            }
        }) { IsBackground = true, Name = "gpu-memory-monitor" };
        _thread.Start();
        ready.Wait();
        BaselineBytes = baseline;
    }

    /// <summary>Starts monitoring when <paramref name="device"/> is a CUDA device; otherwise null.</summary>
    public static GpuMemoryMonitor? StartFor(TorchSharp.torch.Device device, TimeSpan? interval = null) =>
        device.type == TorchSharp.DeviceType.CUDA ? new GpuMemoryMonitor(Math.Max(0, device.index), interval ?? TimeSpan.FromMilliseconds(10)) : null;

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
    }
}
