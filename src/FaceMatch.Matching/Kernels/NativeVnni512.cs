using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The int8 kernels on 512-bit VPDPBUSD (AVX-512 VNNI), in libfacematch_matching.so (native/matching): .NET 10 has no
/// intrinsic for the zmm form, and it does twice the work per instruction of the 256-bit one. Loaded on first use if
/// it is there; a missing library or a CPU without AVX-512 VNNI only means the path is not offered.
/// </summary>
/// <remarks>
/// Same layout and the same exact-integer scores as <see cref="Int8Vnni256"/> (query unsigned, value + 128; the
/// 128 * sum(row) bias taken off in integers; one conversion to float), so it is interchangeable with every other
/// int8 path bit for bit. The block kernels go through an ordinary P/Invoke transition (each call scores a block of
/// rows for tens of microseconds); the one-row dot product, called per row by 1:1 and the index, skips it.
/// </remarks>
internal static unsafe class NativeVnni512
{
    public const string FileName = "libfacematch_matching.so";
    public const int ElementsPerStep = 64;

    private static readonly Lazy<(Entry? Entry, string? Why)> Loaded = new(Load);

    public static bool IsAvailable => Loaded.Value.Entry is not null;

    /// <summary>Why the path cannot run here, or null if it can.</summary>
    public static string? UnavailableReason => Loaded.Value.Why;

    public static Entry Functions => Loaded.Value.Entry ?? throw new NotSupportedException(UnavailableReason);

    internal sealed class Entry
    {
        public delegate* unmanaged[SuppressGCTransition]<byte*, byte*, int, int, float> Dot;
        public delegate* unmanaged<byte*, nint, int, byte*, int, float*, int*, void> Score1;
        public delegate* unmanaged<byte*, nint, int, byte*, nint, int, float*, int, int*, void> Score4;
    }

    private static (Entry?, string?) Load()
    {
        if (!Avx512F.IsSupported || !Avx512BW.IsSupported) return (null, "this CPU (or OS) lacks AVX-512 F/BW");
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FACEMATCH_MATCHING_LIBRARY") is { Length: > 0 } explicitPath) candidates.Add(explicitPath);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, FileName));
        candidates.Add(FileName);
        foreach (var path in candidates)
        {
            if (!NativeLibrary.TryLoad(path, typeof(NativeVnni512).Assembly, DllImportSearchPath.SafeDirectories, out var handle)) continue;
            try
            {
                var supported = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "fm_i8_vnni512_supported");
                if (supported() == 0) return (null, "this CPU lacks AVX-512 VNNI");
                return (new Entry
                {
                    Dot = (delegate* unmanaged[SuppressGCTransition]<byte*, byte*, int, int, float>)NativeLibrary.GetExport(handle, "fm_i8_vnni512_dot"),
                    Score1 = (delegate* unmanaged<byte*, nint, int, byte*, int, float*, int*, void>)NativeLibrary.GetExport(handle, "fm_i8_vnni512_score1"),
                    Score4 = (delegate* unmanaged<byte*, nint, int, byte*, nint, int, float*, int, int*, void>)NativeLibrary.GetExport(handle, "fm_i8_vnni512_score4"),
                }, null);
            }
            catch (EntryPointNotFoundException e)
            {
                return (null, $"{path} is not FaceMatch's matching library: {e.Message}");
            }
        }
        return (null, $"{FileName} not found (looked at {string.Join(", ", candidates)}; `make native` builds it)");
    }

    /// <summary>The path as a <see cref="BlockScorer"/>.</summary>
    internal sealed class Scorer : BlockScorer
    {
        public override VectorPrecision Precision => VectorPrecision.Int8;
        public override KernelPath Path => KernelPath.Avx512Vnni;
        public override int ElementsPerStep => NativeVnni512.ElementsPerStep;
        public override bool RowSumBias => true;

        public override float DotRow(byte* row, byte* query, int steps, int rowSum) => Functions.Dot(row, query, steps, rowSum);

        public override void Score1(byte* block, nint stride, int rows, byte* query, int steps, float* scores, int* rowSums)
        {
            if (rowSums == null) throw new ArgumentNullException(nameof(rowSums), "the VNNI paths need each row's sum");
            Functions.Score1(block, stride, rows, query, steps, scores, rowSums);
        }

        public override void Score4(byte* block, nint stride, int rows, byte* queries, nint queryPitch, int steps, float* scores,
            int scorePitch, int* rowSums)
        {
            if (rowSums == null) throw new ArgumentNullException(nameof(rowSums), "the VNNI paths need each row's sum");
            Functions.Score4(block, stride, rows, queries, queryPitch, steps, scores, scorePitch, rowSums);
        }
    }
}
