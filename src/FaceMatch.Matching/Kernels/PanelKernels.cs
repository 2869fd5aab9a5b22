using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The matrix-multiply microkernel for large float32/float16 batches on AVX-512: gallery rows are packed into
/// k-major panels of <see cref="PanelRows"/> rows (element k of all the panel's rows side by side, float32 whatever the
/// stored type), the queries into k-major groups of <see cref="TileQueries"/>, and a tile of 8 queries x 48 rows keeps
/// 24 accumulators of 16 rows each: per element it loads three panel vectors and broadcasts each query's element once,
/// 24 multiply-adds and no horizontal reduction at all.
/// </summary>
/// <remarks>
/// Each (row, query) score is one multiply-add chain over the elements in order (lane i of an accumulator is row i's
/// sum), so it is the same bits wherever the row falls in a panel, block or partition and wherever the query falls in
/// its group. It is not the same summation order as <see cref="DotKernels"/> (sixteen lane partial sums, then a
/// halving tree), so a batched score can differ from the single-query score of the same pair by float rounding
/// (a few ulps): see docs/matching.md, "Batched scans".
/// </remarks>
internal static unsafe class PanelKernels
{
    public const int PanelRows = 48;
    public const int TileQueries = 8;

    /// <summary>Whether packed panels exist for this scan (float32/float16 rows on the 512-bit path).</summary>
    public static bool Supports(VectorPrecision precision, KernelPath path) =>
        path == KernelPath.Vector512 && precision is VectorPrecision.Float32 or VectorPrecision.Float16
        && Avx512F.IsSupported;

    /// <summary>
    /// Packs rows [0, <paramref name="rows"/>) of a block (row-major, <paramref name="stride"/> bytes apart) into
    /// ceil(rows / 48) panels of <paramref name="depth"/> x 48 floats; rows past the end are zero. <paramref name="depth"/>
    /// is a multiple of 16 within the rows' padding. float16 rows are widened to their value times 2^-112 (see
    /// <see cref="Float16Bits"/>), which the prepared query's 2^112 cancels exactly.
    /// </summary>
    public static void Pack(VectorPrecision precision, byte* block, nint stride, int rows, int depth, float* panels)
    {
        if (precision == VectorPrecision.Float32) Pack<Float32Source>(block, stride, rows, depth, panels);
        else Pack<Float16Source>(block, stride, rows, depth, panels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<TSource>(byte* block, nint stride, int rows, int depth, float* panels)
        where TSource : struct, IPanelSource
    {
        // 16 rows (a third of a panel) at a time, 16 elements by 16 rows per transpose.
        int whole = rows & ~15;
        for (int first = 0; first < whole; first += 16)
        {
            float* dst = GroupStart(panels, first, depth);
            byte* src = block + first * stride;
            for (int k = 0; k < depth; k += 16)
                Transpose16<TSource>(src + k * TSource.ElementBytes, stride, dst + (nint)k * PanelRows);
        }
        // The last few rows of a partition, element by element; every missing row of the last panel is zero.
        int end = (rows + PanelRows - 1) / PanelRows * PanelRows;
        for (int first = whole; first < end; first += 16)
        {
            float* dst = GroupStart(panels, first, depth);
            int live = Math.Max(0, rows - first);
            byte* src = block + first * stride;
            for (int k = 0; k < depth; k++)
                for (int i = 0; i < 16; i++)
                    dst[(nint)k * PanelRows + i] = i < live ? TSource.Element(src + i * stride, k) : 0f;
        }
    }

    private static float* GroupStart(float* panels, int firstRow, int depth) =>
        panels + (firstRow / PanelRows) * (nint)depth * PanelRows + firstRow % PanelRows;

    /// <summary>
    /// 16 elements of 16 rows, stored transposed: element c of every row to <paramref name="dst"/> + 48c.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16<TSource>(byte* src, nint stride, float* dst) where TSource : struct, IPanelSource
    {
        byte* p = src;
        var r0 = TSource.Load(p); var r1 = TSource.Load(p + stride);
        var r2 = TSource.Load(p + 2 * stride); var r3 = TSource.Load(p + 3 * stride);
        p += 4 * stride;
        var r4 = TSource.Load(p); var r5 = TSource.Load(p + stride);
        var r6 = TSource.Load(p + 2 * stride); var r7 = TSource.Load(p + 3 * stride);
        p += 4 * stride;
        var r8 = TSource.Load(p); var r9 = TSource.Load(p + stride);
        var r10 = TSource.Load(p + 2 * stride); var r11 = TSource.Load(p + 3 * stride);
        p += 4 * stride;
        var r12 = TSource.Load(p); var r13 = TSource.Load(p + stride);
        var r14 = TSource.Load(p + 2 * stride); var r15 = TSource.Load(p + 3 * stride);

        // Pairs of rows interleaved, then pairs of pairs (as doubles): within each 128-bit lane L, u[4j + e] holds
        // element 4L + e of rows 4j..4j+3.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        var u0 = Lo(t0, t2); var u1 = Hi(t0, t2); var u2 = Lo(t1, t3); var u3 = Hi(t1, t3);
        var u4 = Lo(t4, t6); var u5 = Hi(t4, t6); var u6 = Lo(t5, t7); var u7 = Hi(t5, t7);
        var u8 = Lo(t8, t10); var u9 = Hi(t8, t10); var u10 = Lo(t9, t11); var u11 = Hi(t9, t11);
        var u12 = Lo(t12, t14); var u13 = Hi(t12, t14); var u14 = Lo(t13, t15); var u15 = Hi(t13, t15);

        // Then the 128-bit lanes: element e comes out of (u[e], u[4 + e]) and (u[8 + e], u[12 + e]).
        Columns(u0, u4, u8, u12, dst);
        Columns(u1, u5, u9, u13, dst + PanelRows);
        Columns(u2, u6, u10, u14, dst + 2 * PanelRows);
        Columns(u3, u7, u11, u15, dst + 3 * PanelRows);
    }

    /// <summary>Elements e, 4 + e, 8 + e and 12 + e of the 16 rows (dst is element e's place), from the four vectors that hold them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* dst)
    {
        // 0x88 takes lanes 0 and 2 of each source, 0xDD lanes 1 and 3.
        var v = Avx512F.Shuffle4x128(a, b, 0x88); var v2 = Avx512F.Shuffle4x128(a, b, 0xDD);
        var w = Avx512F.Shuffle4x128(c, d, 0x88); var w2 = Avx512F.Shuffle4x128(c, d, 0xDD);
        Avx512F.Shuffle4x128(v, w, 0x88).Store(dst);
        Avx512F.Shuffle4x128(v2, w2, 0x88).Store(dst + 4 * PanelRows);
        Avx512F.Shuffle4x128(v, w, 0xDD).Store(dst + 8 * PanelRows);
        Avx512F.Shuffle4x128(v2, w2, 0xDD).Store(dst + 12 * PanelRows);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>What a panel is packed from: 16 stored elements as 16 floats.</summary>
    private interface IPanelSource
    {
        static abstract int ElementBytes { get; }
        static abstract Vector512<float> Load(byte* p);
        static abstract float Element(byte* row, int k);
    }

    private struct Float32Source : IPanelSource
    {
        public static int ElementBytes => sizeof(float);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => Vector512.Load((float*)p);

        public static float Element(byte* row, int k) => ((float*)row)[k];
    }

    private struct Float16Source : IPanelSource
    {
        public static int ElementBytes => sizeof(short);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p)
        {
            var wide = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)p));
            return (Avx512F.ShiftLeftLogical(wide, 13) & Vector512.Create(Float16Bits.Mask)).AsSingle();
        }

        public static float Element(byte* row, int k) => Float16Bits.Widen(((short*)row)[k]);
    }

    /// <summary>
    /// Packs queries [first, first + 8) (fewer at the end: the rest are zero) of a prepared float batch into one
    /// group: element k of the eight queries at <paramref name="dst"/> + 8k.
    /// </summary>
    public static void PackQueries(byte* queries, nint pitch, int count, int depth, float* dst)
    {
        for (int k = 0; k < depth; k++)
            for (int j = 0; j < TileQueries; j++)
                dst[k * TileQueries + j] = j < count ? ((float*)(queries + j * pitch))[k] : 0f;
    }

    /// <summary>Cache lines of the next block a <see cref="Tile"/> call prefetches: one per this many elements.</summary>
    public const int ElementsPerPrefetch = 8;

    /// <summary>
    /// Scores one panel (48 rows) against one query group (8 queries): query j's 48 scores go to
    /// <paramref name="scores"/> + j * <paramref name="scorePitch"/>. Along the way it prefetches into L2 one line
    /// of <paramref name="prefetch"/> per <see cref="ElementsPerPrefetch"/> elements (depth / 8 lines in all): the
    /// next block's rows, spread thinly over the arithmetic so they never queue up behind each other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(float* panel, float* queries, int depth, float* scores, nint scorePitch, byte* prefetch)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int k = 0; k < depth; k++, panel += PanelRows, queries += TileQueries)
        {
            if ((k & (ElementsPerPrefetch - 1)) == 0) Sse.Prefetch1(prefetch + k * (64 / ElementsPerPrefetch));
            var a0 = Vector512.Load(panel);
            var a1 = Vector512.Load(panel + 16);
            var a2 = Vector512.Load(panel + 32);
            var b = Vector512.Create(queries[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b, c00); c01 = Avx512F.FusedMultiplyAdd(a1, b, c01); c02 = Avx512F.FusedMultiplyAdd(a2, b, c02);
            b = Vector512.Create(queries[1]);
            c10 = Avx512F.FusedMultiplyAdd(a0, b, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b, c11); c12 = Avx512F.FusedMultiplyAdd(a2, b, c12);
            b = Vector512.Create(queries[2]);
            c20 = Avx512F.FusedMultiplyAdd(a0, b, c20); c21 = Avx512F.FusedMultiplyAdd(a1, b, c21); c22 = Avx512F.FusedMultiplyAdd(a2, b, c22);
            b = Vector512.Create(queries[3]);
            c30 = Avx512F.FusedMultiplyAdd(a0, b, c30); c31 = Avx512F.FusedMultiplyAdd(a1, b, c31); c32 = Avx512F.FusedMultiplyAdd(a2, b, c32);
            b = Vector512.Create(queries[4]);
            c40 = Avx512F.FusedMultiplyAdd(a0, b, c40); c41 = Avx512F.FusedMultiplyAdd(a1, b, c41); c42 = Avx512F.FusedMultiplyAdd(a2, b, c42);
            b = Vector512.Create(queries[5]);
            c50 = Avx512F.FusedMultiplyAdd(a0, b, c50); c51 = Avx512F.FusedMultiplyAdd(a1, b, c51); c52 = Avx512F.FusedMultiplyAdd(a2, b, c52);
            b = Vector512.Create(queries[6]);
            c60 = Avx512F.FusedMultiplyAdd(a0, b, c60); c61 = Avx512F.FusedMultiplyAdd(a1, b, c61); c62 = Avx512F.FusedMultiplyAdd(a2, b, c62);
            b = Vector512.Create(queries[7]);
            c70 = Avx512F.FusedMultiplyAdd(a0, b, c70); c71 = Avx512F.FusedMultiplyAdd(a1, b, c71); c72 = Avx512F.FusedMultiplyAdd(a2, b, c72);
        }
        Store(scores, c00, c01, c02); Store(scores + scorePitch, c10, c11, c12);
        Store(scores + 2 * scorePitch, c20, c21, c22); Store(scores + 3 * scorePitch, c30, c31, c32);
        Store(scores + 4 * scorePitch, c40, c41, c42); Store(scores + 5 * scorePitch, c50, c51, c52);
        Store(scores + 6 * scorePitch, c60, c61, c62); Store(scores + 7 * scorePitch, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        a.Store(dst);
        b.Store(dst + 16);
        c.Store(dst + 32);
    }
}
