namespace FaceMatch.Matching.Kernels;

/// <summary>
/// Which instruction-set path a dot-product kernel runs on. <see cref="Auto"/> picks the fastest one the CPU has;
/// the others force one path (tests force each in turn; an unsupported one is refused, never emulated).
/// </summary>
public enum KernelPath
{
    /// <summary>The fastest path this CPU supports for the element type (see <see cref="KernelSupport.Best"/>).</summary>
    Auto = 0,
    /// <summary>Plain C#, no SIMD; runs everywhere.</summary>
    Scalar = 1,
    /// <summary>128-bit vectors (SSE / NEON), portable Vector128 operations.</summary>
    Vector128 = 2,
    /// <summary>256-bit vectors (AVX2; int8 uses VPMADDWD).</summary>
    Vector256 = 3,
    /// <summary>512-bit vectors (AVX-512 F; int8 uses AVX-512 BW VPMADDWD).</summary>
    Vector512 = 4,
    /// <summary>
    /// int8 only: 256-bit VPDPBUSD (AVX-VNNI). .NET 10 exposes VNNI on 128/256-bit registers only; there is no
    /// 512-bit VPDPBUSD intrinsic (no Avx512Vnni class), so this is the VNNI path on AVX-512 machines too.
    /// </summary>
    AvxVnni256 = 5,
    /// <summary>
    /// int8 only: 512-bit VPDPBUSD (AVX-512 VNNI), from the native library libfacematch_matching.so (no .NET intrinsic);
    /// offered when the library loads and the CPU has AVX-512 VNNI.
    /// </summary>
    Avx512Vnni = 6,
}

/// <summary>Element type of a stored or scanned vector.</summary>
public enum VectorPrecision
{
    /// <summary>IEEE float32, exact.</summary>
    Float32 = 0,
    /// <summary>IEEE binary16 (half): 2 bytes per element, about 3 significant digits.</summary>
    Float16 = 1,
    /// <summary>int8 with one symmetric float scale per vector (values in [-127, 127]).</summary>
    Int8 = 2,
}

/// <summary>
/// How a scan scores a batch of queries. Forcing one is for tests and benchmarks; <see cref="Auto"/> is what a
/// search should use.
/// </summary>
public enum BatchKernel
{
    /// <summary>
    /// <see cref="Panels"/> for float32/float16 scans on the 512-bit path with at least 32 queries (where packing pays
    /// off), <see cref="Tiles"/> otherwise.
    /// </summary>
    Auto = 0,
    /// <summary>4 x 4 register tiles: every score bit-for-bit the score of the same query searched alone.</summary>
    Tiles = 1,
    /// <summary>
    /// Packed panels, the matrix-multiply microkernel (float32/float16 on AVX-512 only; refused elsewhere): the fastest
    /// for large batches; a score may differ from the single-query score by float rounding.
    /// </summary>
    Panels = 2,
}
