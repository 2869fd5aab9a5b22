using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

// int8 rows · int8 query, summed exactly in int32 and converted to float once, after any bias is taken off in
// integers: every int8 path gives the same bits for a row (the exact sum, rounded once).
//
// Rows hold values in [-127, 127] (the quantiser never emits -128). Query layouts: the VPMADDWD and portable paths
// read the query pre-widened to int16 (it lives in L1, so the widening is paid once per query, not once per row);
// an int16 product never overflows and a VPMADDWD pair sum never saturates. The VNNI path reads it as unsigned
// bytes (value + 128), since VPDPBUSD multiplies unsigned by signed bytes: the raw sum then carries
// 128 * sum(row), and each row's sum is stored beside it (RowStore) so that the correction costs nothing per step.
//
// Not VPMADDUBSW (the AVX2 u8 x s8 instruction): it adds pairs of products into int16 with saturation, and
// 2 * 255 * 127 does not fit, so it would be exact only for 7-bit values. VPMOVSXBW + VPMADDWD is exact for all.

internal unsafe struct Int8Scalar : IDotOps<int, Int8Scalar.Quad, Int8Scalar.Quad>
{
    internal struct Quad { public int A, B, C, D; }

    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 4;
    public static int QueryBytesPerStep => 8;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Zero() => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadRow(byte* row)
    {
        var p = (sbyte*)row;
        return new Quad { A = p[0], B = p[1], C = p[2], D = p[3] };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadQuery(byte* query)
    {
        var q = (short*)query;
        return new Quad { A = q[0], B = q[1], C = q[2], D = q[3] };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Accumulate(int acc, Quad r, Quad q) => acc + r.A * q.A + r.B * q.B + r.C * q.C + r.D * q.D;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(int acc, int rowSum) => acc;
}

/// <summary>Portable 128-bit path (SSE2 or NEON): widen to int16, multiply, widen the products to int32.</summary>
internal unsafe struct Int8V128 : IDotOps<Vector128<int>, Pair<Vector128<short>>, Pair<Vector128<short>>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 32;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Zero() => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector128<short>> LoadRow(byte* row)
    {
        var (lo, hi) = Vector128.Widen(Vector128.Load((sbyte*)row));
        return new Pair<Vector128<short>> { Lo = lo, Hi = hi };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector128<short>> LoadQuery(byte* query) =>
        new() { Lo = Vector128.Load((short*)query), Hi = Vector128.Load((short*)query + 8) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Accumulate(Vector128<int> acc, Pair<Vector128<short>> row, Pair<Vector128<short>> query)
    {
        var p0 = row.Lo * query.Lo;
        var p1 = row.Hi * query.Hi;
        return acc + (Vector128.WidenLower(p0) + Vector128.WidenUpper(p0)) + (Vector128.WidenLower(p1) + Vector128.WidenUpper(p1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector128<int> acc, int rowSum) => Vector128.Sum(acc);
}

/// <summary>AVX2: sign-extend 16 bytes to int16 (VPMOVSXBW) and multiply-add pairs into int32 (VPMADDWD).</summary>
internal unsafe struct Int8V256 : IDotOps<Vector256<int>, Vector256<short>, Vector256<short>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 32;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Zero() => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> LoadRow(byte* row) => Avx2.ConvertToVector256Int16((sbyte*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> LoadQuery(byte* query) => Vector256.Load((short*)query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> row, Vector256<short> query) =>
        acc + Avx2.MultiplyAddAdjacent(row, query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector256<int> acc, int rowSum) => Vector256.Sum(acc);

    public static bool HasFinish16 => Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector256<int> a00, Vector256<int> a01, Vector256<int> a02, Vector256<int> a03,
        Vector256<int> a10, Vector256<int> a11, Vector256<int> a12, Vector256<int> a13,
        Vector256<int> a20, Vector256<int> a21, Vector256<int> a22, Vector256<int> a23,
        Vector256<int> a30, Vector256<int> a31, Vector256<int> a32, Vector256<int> a33,
        int* rowSums, float* scores, nint scorePitch)
    {
        var t0 = HorizontalSum.Transpose8(a00, a01, a10, a11, a20, a21, a30, a31);
        var t1 = HorizontalSum.Transpose8(a02, a03, a12, a13, a22, a23, a32, a33);
        TileStore.Two(Vector256.ConvertToSingle(t0), scores, scorePitch);
        TileStore.Two(Vector256.ConvertToSingle(t1), scores + 2 * scorePitch, scorePitch);
    }
}

/// <summary>AVX-512 BW: VPMOVSXBW of 32 bytes into a zmm of int16, VPMADDWD into int32.</summary>
internal unsafe struct Int8V512 : IDotOps<Vector512<int>, Vector512<short>, Vector512<short>>
{
    public static int ElementsPerStep => 32;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 64;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Zero() => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadRow(byte* row) => Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)row));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadQuery(byte* query) => Vector512.Load((short*)query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Accumulate(Vector512<int> acc, Vector512<short> row, Vector512<short> query) =>
        acc + Avx512BW.MultiplyAddAdjacent(row, query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector512<int> acc, int rowSum) => Vector512.Sum(acc);

    public static bool HasFinish16 => Avx512BW.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector512<int> a00, Vector512<int> a01, Vector512<int> a02, Vector512<int> a03,
        Vector512<int> a10, Vector512<int> a11, Vector512<int> a12, Vector512<int> a13,
        Vector512<int> a20, Vector512<int> a21, Vector512<int> a22, Vector512<int> a23,
        Vector512<int> a30, Vector512<int> a31, Vector512<int> a32, Vector512<int> a33,
        int* rowSums, float* scores, nint scorePitch) =>
        TileStore.Four(Vector512.ConvertToSingle(
            HorizontalSum.Transpose16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33)), scores, scorePitch);
}

/// <summary>
/// AVX-VNNI: VPDPBUSD multiplies unsigned by signed bytes and adds groups of four into int32 in one instruction.
/// The query is prepared as unsigned (value + 128) and the signed row is read as stored, so a tile's steps are
/// nothing but loads and VPDPBUSDs; the 128 * sum(row) the sums then carry comes off in <see cref="Finish"/>.
/// </summary>
internal unsafe struct Int8Vnni256 : IDotOps<Vector256<int>, Vector256<sbyte>, Vector256<byte>>
{
    public static int ElementsPerStep => 32;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 32;
    public static bool RowSumBias => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Zero() => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadRow(byte* row) => Vector256.Load((sbyte*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LoadQuery(byte* query) => Vector256.Load(query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<sbyte> row, Vector256<byte> query) =>
        AvxVnni.MultiplyWideningAndAdd(acc, query, row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector256<int> acc, int rowSum) => Vector256.Sum(acc) - (rowSum << 7);

    public static bool HasFinish16 => Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector256<int> a00, Vector256<int> a01, Vector256<int> a02, Vector256<int> a03,
        Vector256<int> a10, Vector256<int> a11, Vector256<int> a12, Vector256<int> a13,
        Vector256<int> a20, Vector256<int> a21, Vector256<int> a22, Vector256<int> a23,
        Vector256<int> a30, Vector256<int> a31, Vector256<int> a32, Vector256<int> a33,
        int* rowSums, float* scores, nint scorePitch)
    {
        var bias = TileStore.RowBias256(rowSums);
        var t0 = HorizontalSum.Transpose8(a00, a01, a10, a11, a20, a21, a30, a31) - bias;
        var t1 = HorizontalSum.Transpose8(a02, a03, a12, a13, a22, a23, a32, a33) - bias;
        TileStore.Two(Vector256.ConvertToSingle(t0), scores, scorePitch);
        TileStore.Two(Vector256.ConvertToSingle(t1), scores + 2 * scorePitch, scorePitch);
    }
}
