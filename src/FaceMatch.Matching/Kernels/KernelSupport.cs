using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

/// <summary>Which kernel paths this CPU can run, decided once at run time from the intrinsics' IsSupported flags.</summary>
public static class KernelSupport
{
    private static readonly KernelPath[] Preference =
        [KernelPath.Avx512Vnni, KernelPath.AvxVnni256, KernelPath.Vector512, KernelPath.Vector256, KernelPath.Vector128, KernelPath.Scalar];

    /// <summary>Every concrete path (not <see cref="KernelPath.Auto"/>), in the order tests enumerate them.</summary>
    public static IReadOnlyList<KernelPath> AllPaths { get; } =
        [KernelPath.Scalar, KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512, KernelPath.AvxVnni256, KernelPath.Avx512Vnni];

    /// <summary>Whether <paramref name="path"/> exists for <paramref name="precision"/> and this CPU can run it.</summary>
    public static bool IsSupported(KernelPath path, VectorPrecision precision) => path switch
    {
        KernelPath.Scalar => true,
        // The int8 Vector128 path uses only portable operations (widen, multiply), so any accelerated 128-bit ISA runs it.
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Vector256 => precision == VectorPrecision.Int8 ? Avx2.IsSupported : Vector256.IsHardwareAccelerated,
        KernelPath.Vector512 => precision == VectorPrecision.Int8 ? Avx512BW.IsSupported : Vector512.IsHardwareAccelerated,
        KernelPath.AvxVnni256 => precision == VectorPrecision.Int8 && AvxVnni.IsSupported,
        KernelPath.Avx512Vnni => precision == VectorPrecision.Int8 && NativeVnni512.IsAvailable,
        _ => false,
    };

    /// <summary>Why a path cannot run here, or null if it can.</summary>
    public static string? WhyUnsupported(KernelPath path, VectorPrecision precision)
    {
        if (path == KernelPath.Auto || IsSupported(path, precision)) return null;
        return path switch
        {
            KernelPath.AvxVnni256 when precision != VectorPrecision.Int8 => "AvxVnni256 is an int8-only path",
            KernelPath.Avx512Vnni when precision != VectorPrecision.Int8 => "Avx512Vnni is an int8-only path",
            KernelPath.Avx512Vnni => NativeVnni512.UnavailableReason ?? "unavailable",
            KernelPath.AvxVnni256 => "this CPU lacks AVX-VNNI",
            KernelPath.Vector512 when precision == VectorPrecision.Int8 => "this CPU lacks AVX-512 BW",
            KernelPath.Vector512 => "Vector512 is not hardware accelerated on this CPU",
            KernelPath.Vector256 when precision == VectorPrecision.Int8 => "this CPU lacks AVX2",
            KernelPath.Vector256 => "Vector256 is not hardware accelerated on this CPU",
            KernelPath.Vector128 => "Vector128 is not hardware accelerated on this CPU",
            _ => $"unknown kernel path {(int)path}",
        };
    }

    /// <summary>The fastest supported path for <paramref name="precision"/>.</summary>
    public static KernelPath Best(VectorPrecision precision)
    {
        foreach (var p in Preference)
            if (IsSupported(p, precision)) return p;
        return KernelPath.Scalar;
    }

    /// <summary>Turns <see cref="KernelPath.Auto"/> into the best path; throws with the reason if a forced path cannot run.</summary>
    public static KernelPath Resolve(KernelPath requested, VectorPrecision precision)
    {
        if (requested == KernelPath.Auto) return Best(precision);
        if (!Enum.IsDefined(requested))
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown kernel path");
        var why = WhyUnsupported(requested, precision);
        if (why != null)
            throw new NotSupportedException($"kernel path {requested} for {precision} cannot run here: {why}");
        return requested;
    }

    /// <summary>Below this many queries packing panels costs more than the microkernel saves (see docs/matching.md).</summary>
    public const int PanelMinBatch = 32;

    /// <summary>Whether packed panels exist for scans of <paramref name="precision"/> on <paramref name="path"/> here.</summary>
    public static bool SupportsPanels(VectorPrecision precision, KernelPath path) => PanelKernels.Supports(precision, path);

    /// <summary>
    /// How a scan of <paramref name="queryCount"/> queries on a resolved <paramref name="path"/> is scored:
    /// <see cref="BatchKernel.Tiles"/> or <see cref="BatchKernel.Panels"/>. A forced Panels where they do not exist is
    /// refused with the reason.
    /// </summary>
    public static BatchKernel ResolveBatch(BatchKernel requested, VectorPrecision precision, KernelPath path, int queryCount)
    {
        bool panels = PanelKernels.Supports(precision, path);
        return requested switch
        {
            BatchKernel.Auto => panels && queryCount >= PanelMinBatch ? BatchKernel.Panels : BatchKernel.Tiles,
            BatchKernel.Tiles => BatchKernel.Tiles,
            BatchKernel.Panels => panels ? BatchKernel.Panels
                : throw new NotSupportedException($"packed panels exist for float32/float16 on the Vector512 path (AVX-512) only, not {precision} on {path}"),
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown batch kernel"),
        };
    }

    /// <summary>The supported concrete paths for <paramref name="precision"/>.</summary>
    public static IReadOnlyList<KernelPath> SupportedPaths(VectorPrecision precision) =>
        AllPaths.Where(p => IsSupported(p, precision)).ToArray();

    /// <summary>A one-line summary of the SIMD features the dispatch looked at (for logs and bench output).</summary>
    public static string DescribeCpu() =>
        $"V128={Vector128.IsHardwareAccelerated} V256={Vector256.IsHardwareAccelerated} V512={Vector512.IsHardwareAccelerated} " +
        $"AVX2={Avx2.IsSupported} FMA={Fma.IsSupported} AVX512F={Avx512F.IsSupported} AVX512BW={Avx512BW.IsSupported} " +
        $"AVX-VNNI={AvxVnni.IsSupported} AVX512-VNNI(native)={NativeVnni512.IsAvailable}";
}
