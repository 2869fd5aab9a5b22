using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FaceMatch.Matching.Kernels;

// float32 rows · float32 query. Each step is one vector of floats: one fused multiply-add.

internal unsafe struct Float32Scalar : IDotOps<float, Float32Scalar.Quad>
{
    internal struct Quad { public float A, B, C, D; }

    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 16;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Zero() => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadRow(byte* row)
    {
        var p = (float*)row;
        return new Quad { A = p[0], B = p[1], C = p[2], D = p[3] };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Accumulate(float acc, Quad r, byte* query)
    {
        var q = (float*)query;
        return acc + r.A * q[0] + r.B * q[1] + r.C * q[2] + r.D * q[3];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(float acc) => acc;
}

internal unsafe struct Float32V128 : IDotOps<Vector128<float>, Vector128<float>>
{
    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 16;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Zero() => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadRow(byte* row) => Vector128.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> row, byte* query) =>
        Vector128.FusedMultiplyAdd(row, Vector128.Load((float*)query), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector128<float> acc) => Vector128.Sum(acc);
}

internal unsafe struct Float32V256 : IDotOps<Vector256<float>, Vector256<float>>
{
    public static int ElementsPerStep => 8;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 32;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Zero() => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadRow(byte* row) => Vector256.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> row, byte* query) =>
        Vector256.FusedMultiplyAdd(row, Vector256.Load((float*)query), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector256<float> acc) => Vector256.Sum(acc);
}

internal unsafe struct Float32V512 : IDotOps<Vector512<float>, Vector512<float>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 64;
    public static int QueryBytesPerStep => 64;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Zero() => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadRow(byte* row) => Vector512.Load((float*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> row, byte* query) =>
        Vector512.FusedMultiplyAdd(row, Vector512.Load((float*)query), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector512<float> acc) => Vector512.Sum(acc);
}
