using System.Runtime.InteropServices;

namespace LddGan.Engine.Runtime.NativeTorch;

/// <summary>
/// Switches of libtorch's global <c>at::Context</c> that TorchSharp 0.107 does not expose, called through their C++
/// symbols in libtorch_cpu.so (Itanium ABI: a member function takes the object as its first argument). They are what
/// PyTorch sets with <c>torch.backends.cudnn.benchmark</c>, <c>torch.backends.mkldnn.enabled</c> and
/// <c>torch.backends.nnpack.enabled</c>. On a platform or libtorch without the symbols, <see cref="Open"/> returns null.
/// </summary>
public sealed class LibTorchContext
{
    private delegate IntPtr GlobalContext();
    private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool value);
    [return: MarshalAs(UnmanagedType.U1)] private delegate bool GetFlag(IntPtr context);

    private readonly IntPtr _library;
    private readonly IntPtr _context;

    private LibTorchContext(IntPtr library, IntPtr context) => (_library, _context) = (library, context);

    public static LibTorchContext? Open()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
            || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var globalContext))
            return null;
        return new LibTorchContext(library, Marshal.GetDelegateForFunctionPointer<GlobalContext>(globalContext)());
    }

    /// <summary>cuDNN autotuning: each convolution shape is timed once with every algorithm and the fastest is kept.</summary>
    public bool? CudnnBenchmark { get => Get("_ZNK2at7Context14benchmarkCuDNNEv"); set => Set("_ZN2at7Context17setBenchmarkCuDNNEb", value); }

    /// <summary>oneDNN (mkldnn) for CPU convolutions and matrix products.</summary>
    public bool? OneDnn { get => Get("_ZNK2at7Context17userEnabledMkldnnEv"); set => Set("_ZN2at7Context20setUserEnabledMkldnnEb", value); }

    /// <summary>NNPACK for CPU convolutions (tried when oneDNN is off).</summary>
    public bool? Nnpack { get => Get("_ZNK2at7Context17userEnabledNNPACKEv"); set => Set("_ZN2at7Context20setUserEnabledNNPACKEb", value); }

    private bool? Get(string symbol) =>
        NativeLibrary.TryGetExport(_library, symbol, out var f) ? Marshal.GetDelegateForFunctionPointer<GetFlag>(f)(_context) : null;

    private void Set(string symbol, bool? value)
    {
        if (value is { } v && NativeLibrary.TryGetExport(_library, symbol, out var f))
            Marshal.GetDelegateForFunctionPointer<SetFlag>(f)(_context, v);
    }
}
