using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

// float32 rows · float32 query. Each step is one vector of floats: one fused multiply-add.

internal unsafe struct Float32Scalar : IDotOps<float, Float32Scalar.Quad, Float32Scalar.Quad>
{
    internal struct Quad { public float A, B, C, D; }

    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 16;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Zero() => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadRow(byte* row) => Load(row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadQuery(byte* query) => Load(query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Accumulate(float acc, Quad r, Quad q) => acc + r.A * q.A + r.B * q.B + r.C * q.C + r.D * q.D;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(float acc, int rowSum) => acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Quad Load(byte* p)
    {
        var f = (float*)p;
        return new Quad { A = f[0], B = f[1], C = f[2], D = f[3] };
    }
}

internal unsafe struct Float32V128 : IDotOps<Vector128<float>, Vector128<float>, Vector128<float>>
{
    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 16;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Zero() => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadRow(byte* row) => Vector128.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadQuery(byte* query) => Vector128.Load((float*)query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> row, Vector128<float> query) =>
        Vector128.FusedMultiplyAdd(row, query, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector128<float> acc, int rowSum) => HorizontalSum.Of(acc);
}

internal unsafe struct Float32V256 : IDotOps<Vector256<float>, Vector256<float>, Vector256<float>>
{
    public static int ElementsPerStep => 8;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 32;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Zero() => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadRow(byte* row) => Vector256.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadQuery(byte* query) => Vector256.Load((float*)query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> row, Vector256<float> query) =>
        Vector256.FusedMultiplyAdd(row, query, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector256<float> acc, int rowSum) => HorizontalSum.Of(acc);

    public static bool HasFinish16 => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector256<float> a00, Vector256<float> a01, Vector256<float> a02, Vector256<float> a03,
        Vector256<float> a10, Vector256<float> a11, Vector256<float> a12, Vector256<float> a13,
        Vector256<float> a20, Vector256<float> a21, Vector256<float> a22, Vector256<float> a23,
        Vector256<float> a30, Vector256<float> a31, Vector256<float> a32, Vector256<float> a33,
        int* rowSums, float* scores, nint scorePitch)
    {
        TileStore.Two(HorizontalSum.Transpose8(a00, a01, a10, a11, a20, a21, a30, a31), scores, scorePitch);
        TileStore.Two(HorizontalSum.Transpose8(a02, a03, a12, a13, a22, a23, a32, a33), scores + 2 * scorePitch, scorePitch);
    }
}

internal unsafe struct Float32V512 : IDotOps<Vector512<float>, Vector512<float>, Vector512<float>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 64;
    public static int QueryBytesPerStep => 64;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Zero() => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadRow(byte* row) => Vector512.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadQuery(byte* query) => Vector512.Load((float*)query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> row, Vector512<float> query) =>
        Vector512.FusedMultiplyAdd(row, query, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector512<float> acc, int rowSum) => HorizontalSum.Of(acc);

    public static bool HasFinish16 => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector512<float> a00, Vector512<float> a01, Vector512<float> a02, Vector512<float> a03,
        Vector512<float> a10, Vector512<float> a11, Vector512<float> a12, Vector512<float> a13,
        Vector512<float> a20, Vector512<float> a21, Vector512<float> a22, Vector512<float> a23,
        Vector512<float> a30, Vector512<float> a31, Vector512<float> a32, Vector512<float> a33,
        int* rowSums, float* scores, nint scorePitch) =>
        TileStore.Four(HorizontalSum.Transpose16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33),
            scores, scorePitch);
}

/// <summary>Writes a reduced 4 x 4 tile: each 128-bit quarter is one query's four row scores.</summary>
internal static unsafe class TileStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Four(Vector512<float> tile, float* scores, nint pitch)
    {
        tile.GetLower().GetLower().Store(scores);
        tile.GetLower().GetUpper().Store(scores + pitch);
        tile.GetUpper().GetLower().Store(scores + 2 * pitch);
        tile.GetUpper().GetUpper().Store(scores + 3 * pitch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Two(Vector256<float> tile, float* scores, nint pitch)
    {
        tile.GetLower().Store(scores);
        tile.GetUpper().Store(scores + pitch);
    }

    /// <summary>128 * each row's sum, laid out like a reduced 512-bit tile (the same four rows in every quarter).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> RowBias512(int* rowSums)
    {
        var b = Vector128.Load(rowSums) << 7;
        var half = Vector256.Create(b, b);
        return Vector512.Create(half, half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> RowBias256(int* rowSums)
    {
        var b = Vector128.Load(rowSums) << 7;
        return Vector256.Create(b, b);
    }
}
