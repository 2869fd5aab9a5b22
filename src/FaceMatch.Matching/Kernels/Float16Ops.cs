using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

// float16 rows · float32 query.
//
// .NET 10 has no VCVTPH2PS intrinsic, so rows are widened with integer operations only:
//   bits32 = (signExtend(h) << 13) & 0x8FFFE000
// puts the sign in bit 31 and the half's exponent and mantissa in the float's exponent and mantissa, which is the
// half's value times 2^-112 (for normals, subnormals and zero alike; Inf/NaN never reach a gallery). The query is
// prepared pre-multiplied by 2^112 (Float16Bits.QueryScale), so every product equals the exact half*query product:
// scaling by a power of two is exact. Three integer operations per vector instead of a conversion instruction.

/// <summary>Bit-level helpers shared by every float16 path.</summary>
internal static class Float16Bits
{
    /// <summary>2^112: the factor the widened bits are short of; applied once to the query.</summary>
    public static readonly float QueryScale = BitConverter.Int32BitsToSingle((112 + 127) << 23);

    public const int Mask = unchecked((int)0x8FFFE000);

    /// <summary>The half's value times 2^-112, as the vector paths compute it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Widen(short h) => BitConverter.Int32BitsToSingle((h << 13) & Mask);
}

internal unsafe struct Float16Scalar : IDotOps<float, Float32Scalar.Quad, Float32Scalar.Quad>
{
    public static int ElementsPerStep => 4;
    public static int RowBytesPerStep => 8;
    public static int QueryBytesPerStep => 16;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Zero() => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float32Scalar.Quad LoadRow(byte* row)
    {
        var p = (short*)row;
        return new Float32Scalar.Quad
        {
            A = Float16Bits.Widen(p[0]), B = Float16Bits.Widen(p[1]),
            C = Float16Bits.Widen(p[2]), D = Float16Bits.Widen(p[3]),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float32Scalar.Quad LoadQuery(byte* query) => Float32Scalar.Load(query);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Accumulate(float acc, Float32Scalar.Quad r, Float32Scalar.Quad q) => Float32Scalar.Accumulate(acc, r, q);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(float acc, int rowSum) => acc;
}

/// <summary>Two float vectors widened from one vector of halves.</summary>
internal struct Pair<TVec> where TVec : struct
{
    public TVec Lo, Hi;
}

internal unsafe struct Float16V128 : IDotOps<Vector128<float>, Pair<Vector128<float>>, Pair<Vector128<float>>>
{
    public static int ElementsPerStep => 8;
    public static int RowBytesPerStep => 16;
    public static int QueryBytesPerStep => 32;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Zero() => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector128<float>> LoadRow(byte* row)
    {
        var h = Vector128.Load((short*)row);
        var mask = Vector128.Create(Float16Bits.Mask);
        return new Pair<Vector128<float>>
        {
            Lo = (Vector128.ShiftLeft(Vector128.WidenLower(h), 13) & mask).AsSingle(),
            Hi = (Vector128.ShiftLeft(Vector128.WidenUpper(h), 13) & mask).AsSingle(),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector128<float>> LoadQuery(byte* query) =>
        new() { Lo = Vector128.Load((float*)query), Hi = Vector128.Load((float*)query + 4) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Accumulate(Vector128<float> acc, Pair<Vector128<float>> row, Pair<Vector128<float>> query) =>
        Vector128.FusedMultiplyAdd(row.Hi, query.Hi, Vector128.FusedMultiplyAdd(row.Lo, query.Lo, acc));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector128<float> acc, int rowSum) => HorizontalSum.Of(acc);
}

internal unsafe struct Float16V256 : IDotOps<Vector256<float>, Pair<Vector256<float>>, Pair<Vector256<float>>>
{
    public static int ElementsPerStep => 16;
    public static int RowBytesPerStep => 32;
    public static int QueryBytesPerStep => 64;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Zero() => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector256<float>> LoadRow(byte* row)
    {
        var mask = Vector256.Create(Float16Bits.Mask);
        Vector256<int> lo, hi;
        if (Avx2.IsSupported)
        {
            // VPMOVSXWD straight from memory: no cross-lane extract for the upper half.
            lo = Avx2.ConvertToVector256Int32((short*)row);
            hi = Avx2.ConvertToVector256Int32((short*)row + 8);
        }
        else
        {
            var h = Vector256.Load((short*)row);
            (lo, hi) = (Vector256.WidenLower(h), Vector256.WidenUpper(h));
        }
        return new Pair<Vector256<float>>
        {
            Lo = (Vector256.ShiftLeft(lo, 13) & mask).AsSingle(),
            Hi = (Vector256.ShiftLeft(hi, 13) & mask).AsSingle(),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector256<float>> LoadQuery(byte* query) =>
        new() { Lo = Vector256.Load((float*)query), Hi = Vector256.Load((float*)query + 8) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> acc, Pair<Vector256<float>> row, Pair<Vector256<float>> query) =>
        Vector256.FusedMultiplyAdd(row.Hi, query.Hi, Vector256.FusedMultiplyAdd(row.Lo, query.Lo, acc));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(Vector256<float> acc, int rowSum) => HorizontalSum.Of(acc);

    public static bool HasFinish16 => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finish16(
        Vector256<float> a00, Vector256<float> a01, Vector256<float> a02, Vector256<float> a03,
        Vector256<float> a10, Vector256<float> a11, Vector256<float> a12, Vector256<float> a13,
        Vector256<float> a20, Vector256<float> a21, Vector256<float> a22, Vector256<float> a23,
        Vector256<float> a30, Vector256<float> a31, Vector256<float> a32, Vector256<float> a33,
        int* rowSums, float* scores, nint scorePitch) =>
        Float32V256.Finish16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33, rowSums, scores, scorePitch);
}

internal unsafe struct Float16V512 : IDotOps<Vector512<float>, Pair<Vector512<float>>, Pair<Vector512<float>>>
{
    public static int ElementsPerStep => 32;
    public static int RowBytesPerStep => 64;
    public static int QueryBytesPerStep => 128;
    public static bool RowSumBias => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Zero() => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector512<float>> LoadRow(byte* row)
    {
        var mask = Vector512.Create(Float16Bits.Mask);
        Vector512<int> lo, hi;
        if (Avx512F.IsSupported)
        {
            // VPMOVSXWD straight from memory: no cross-lane extract for the upper half.
            lo = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row));
            hi = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + 16));
        }
        else
        {
            var h = Vector512.Load((short*)row);
            (lo, hi) = (Vector512.WidenLower(h), Vector512.WidenUpper(h));
        }
        return new Pair<Vector512<float>>
        {
            Lo = (Vector512.ShiftLeft(lo, 13) & mask).AsSingle(),
            Hi = (Vector512.ShiftLeft(hi, 13) & mask).AsSingle(),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair<Vector512<float>> LoadQuery(byte* query) =>
        new() { Lo = Vector512.Load((float*)query), Hi = Vector512.Load((float*)query + 16) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(Vector512<float> acc, Pair<Vector512<float>> row, Pair<Vector512<float>> query) =>
        Vector512.FusedMultiplyAdd(row.Hi, query.Hi, Vector512.FusedMultiplyAdd(row.Lo, query.Lo, acc));

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
        Float32V512.Finish16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33, rowSums, scores, scorePitch);
}
