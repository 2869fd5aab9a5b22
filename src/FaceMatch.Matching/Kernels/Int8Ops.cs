using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

// int8 rows · int8 query, summed exactly in int32. Values are in [-127, 127] (the quantiser never emits -128),
// so an int16 product never overflows and a VPMADDWD pair sum (<= 2 * 127 * 127) never saturates.
//
// Query layouts: the VPMADDWD and portable paths read the query pre-widened to int16 (it lives in L1, so the
// widening is paid once per query, not once per row); the VNNI path reads it as int8.

internal unsafe struct Int8Scalar : IDotOps<int, Int8Scalar.Quad>
{
    internal struct Quad { public int A, B, C, D; }

    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 4;
    public static int QueryBytesPerStep => 8;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Zero() => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad LoadRow(byte* row)
    {
        var p = (sbyte*)row;
        return new Quad { A = p[0], B = p[1], C = p[2], D = p[3] };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Accumulate(int acc, Quad r, byte* query)
    {
        var q = (short*)query;
        return acc + r.A * q[0] + r.B * q[1] + r.C * q[2] + r.D * q[3];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Add(int a, int b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(int acc) => acc;
}

/// <summary>Portable 128-bit path (SSE2 or NEON): widen to int16, multiply, widen the products to int32.</summary>
internal unsafe struct Int8V128 : IDotOps<Vector128<int>, Pair<Vector128<short>>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 32;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Zero() => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector128<short>> LoadRow(byte* row)
    {
        var (lo, hi) = Vector128.Widen(Vector128.Load((sbyte*)row));
        return new Pair<Vector128<short>> { Lo = lo, Hi = hi };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Accumulate(Vector128<int> acc, Pair<Vector128<short>> row, byte* query)
    {
        var q = (short*)query;
        var p0 = row.Lo * Vector128.Load(q);
        var p1 = row.Hi * Vector128.Load(q + 8);
        return acc + (Vector128.WidenLower(p0) + Vector128.WidenUpper(p0)) + (Vector128.WidenLower(p1) + Vector128.WidenUpper(p1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> a, Vector128<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector128<int> acc) => Vector128.Sum(acc);
}

/// <summary>AVX2: sign-extend 16 bytes to int16 (VPMOVSXBW) and multiply-add pairs into int32 (VPMADDWD).</summary>
internal unsafe struct Int8V256 : IDotOps<Vector256<int>, Vector256<short>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 32;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Zero() => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> LoadRow(byte* row) => Avx2.ConvertToVector256Int16((sbyte*)row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> row, byte* query) =>
        acc + Avx2.MultiplyAddAdjacent(row, Vector256.Load((short*)query));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector256<int> acc) => Vector256.Sum(acc);
}

/// <summary>AVX-512 BW: VPMOVSXBW of 32 bytes into a zmm of int16, VPMADDWD into int32.</summary>
internal unsafe struct Int8V512 : IDotOps<Vector512<int>, Vector512<short>>
{
    public static int ElementsPerStep => 32;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 64;
    public static bool BiasedRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Zero() => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> LoadRow(byte* row) => Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)row));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Accumulate(Vector512<int> acc, Vector512<short> row, byte* query) =>
        acc + Avx512BW.MultiplyAddAdjacent(row, Vector512.Load((short*)query));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Add(Vector512<int> a, Vector512<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector512<int> acc) => Vector512.Sum(acc);
}

/// <summary>
/// AVX-VNNI: VPDPBUSD multiplies unsigned by signed bytes and adds groups of four into int32 in one instruction.
/// Rows are stored signed, so each 32-byte chunk is flipped to unsigned with XOR 0x80 (value + 128); the
/// raw sum then carries 128 * sum(query), which the scorer subtracts (<see cref="BiasedRows"/>).
/// </summary>
internal unsafe struct Int8Vnni256 : IDotOps<Vector256<int>, Vector256<byte>>
{
    public static int ElementsPerStep => 32;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 32;
    public static bool BiasedRows => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Zero() => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LoadRow(byte* row) => Vector256.Load(row) ^ Vector256.Create((byte)0x80);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<byte> row, byte* query) =>
        AvxVnni.MultiplyWideningAndAdd(acc, row, Vector256.Load((sbyte*)query));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector256<int> acc) => Vector256.Sum(acc);
}
