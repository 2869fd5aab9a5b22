using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The one order in which a float accumulator's lanes are summed, and transposed reductions that sum sixteen
/// accumulators at once in exactly that order.
/// </summary>
/// <remarks>
/// The canonical order is halving: the upper half of the vector is added to the lower half until one lane is
/// left (512 → 256 → 128 → 64 → 32 bits). It is written out here rather than left to <c>Vector512.Sum</c>, whose
/// order is the runtime's business, because the register-tiled kernels reduce sixteen accumulators together with
/// a shuffle tree (far fewer instructions than sixteen separate sums) and a row's score must be the same bits
/// whether it was scored alone or in a tile. Each level of the tree adds, for every accumulator, the same two
/// partial sums the halving order adds at that level; only which lanes they sit in differs.
/// </remarks>
internal static class HorizontalSum
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector128<float> v)
    {
        var y = v + Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1));
        return y.ToScalar() + y.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector256<float> v) => Of(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector512<float> v) => Of(v.GetLower() + v.GetUpper());

    /// <summary>
    /// Sixteen 512-bit accumulators to one vector of sixteen sums: lane 4j + t holds the sum of input j + 4t, so with
    /// inputs ordered <c>a{r}{q}</c> at index 4r + q, 128-bit quarter q holds rows 0..3 of query q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Transpose16(
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7,
        Vector512<float> a8, Vector512<float> a9, Vector512<float> a10, Vector512<float> a11,
        Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        // Level 1: lower 256 bits + upper 256 bits of each input; two inputs per vector.
        var p0 = Halves512(a0, a1); var p1 = Halves512(a2, a3); var p2 = Halves512(a4, a5); var p3 = Halves512(a6, a7);
        var p4 = Halves512(a8, a9); var p5 = Halves512(a10, a11); var p6 = Halves512(a12, a13); var p7 = Halves512(a14, a15);
        // Level 2: lower 128 + upper 128 of each 256-bit partial; four inputs per vector, one per quarter.
        var q0 = Quarters512(p0, p1); var q1 = Quarters512(p2, p3); var q2 = Quarters512(p4, p5); var q3 = Quarters512(p6, p7);
        // Level 3: lower 64 + upper 64 within each quarter.
        var r0 = Pairs512(q0, q1); var r1 = Pairs512(q2, q3);
        // Level 4: lane 0 + lane 1 of each pair.
        return Avx512F.Shuffle(r0, r1, 0x88) + Avx512F.Shuffle(r0, r1, 0xDD);
    }

    /// <summary>
    /// Eight 256-bit accumulators to one vector of eight sums, in lane order 0, 2, 4, 6, 1, 3, 5, 7 of the inputs
    /// (so inputs ordered (row r, query h) at index 2r + h give lanes 0..3 = rows of query 0, 4..7 = rows of query 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Transpose8(
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        var p0 = Halves256(a0, a1); var p1 = Halves256(a2, a3); var p2 = Halves256(a4, a5); var p3 = Halves256(a6, a7);
        var q0 = Pairs256(p0, p1); var q1 = Pairs256(p2, p3);
        return Avx.Shuffle(q0, q1, 0x88) + Avx.Shuffle(q0, q1, 0xDD);
    }

    /// <summary><see cref="Transpose16(Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float},Vector512{float})"/> for exact int32 sums (same lane order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Transpose16(
        Vector512<int> a0, Vector512<int> a1, Vector512<int> a2, Vector512<int> a3,
        Vector512<int> a4, Vector512<int> a5, Vector512<int> a6, Vector512<int> a7,
        Vector512<int> a8, Vector512<int> a9, Vector512<int> a10, Vector512<int> a11,
        Vector512<int> a12, Vector512<int> a13, Vector512<int> a14, Vector512<int> a15)
    {
        var p0 = Halves512(a0, a1); var p1 = Halves512(a2, a3); var p2 = Halves512(a4, a5); var p3 = Halves512(a6, a7);
        var p4 = Halves512(a8, a9); var p5 = Halves512(a10, a11); var p6 = Halves512(a12, a13); var p7 = Halves512(a14, a15);
        var q0 = Quarters512(p0, p1); var q1 = Quarters512(p2, p3); var q2 = Quarters512(p4, p5); var q3 = Quarters512(p6, p7);
        var r0 = Pairs512(q0, q1); var r1 = Pairs512(q2, q3);
        return Avx512F.Shuffle(r0.AsSingle(), r1.AsSingle(), 0x88).AsInt32() + Avx512F.Shuffle(r0.AsSingle(), r1.AsSingle(), 0xDD).AsInt32();
    }

    /// <summary>The 256-bit transposed reduction for exact int32 sums (same lane order as the float one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Transpose8(
        Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3,
        Vector256<int> a4, Vector256<int> a5, Vector256<int> a6, Vector256<int> a7)
    {
        var p0 = Halves256(a0, a1); var p1 = Halves256(a2, a3); var p2 = Halves256(a4, a5); var p3 = Halves256(a6, a7);
        var q0 = Pairs256(p0, p1); var q1 = Pairs256(p2, p3);
        return Avx.Shuffle(q0.AsSingle(), q1.AsSingle(), 0x88).AsInt32() + Avx.Shuffle(q0.AsSingle(), q1.AsSingle(), 0xDD).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Halves512(Vector512<int> x, Vector512<int> y) =>
        Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quarters512(Vector512<int> x, Vector512<int> y) =>
        Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Pairs512(Vector512<int> x, Vector512<int> y) =>
        Avx512F.UnpackLow(x.AsInt64(), y.AsInt64()).AsInt32() + Avx512F.UnpackHigh(x.AsInt64(), y.AsInt64()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Halves256(Vector256<int> x, Vector256<int> y) =>
        Avx2.Permute2x128(x, y, 0x20) + Avx2.Permute2x128(x, y, 0x31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pairs256(Vector256<int> x, Vector256<int> y) =>
        Avx2.UnpackLow(x.AsInt64(), y.AsInt64()).AsInt32() + Avx2.UnpackHigh(x.AsInt64(), y.AsInt64()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves512(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters512(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs512(Vector512<float> x, Vector512<float> y) =>
        Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle() + Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Halves256(Vector256<float> x, Vector256<float> y) =>
        Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pairs256(Vector256<float> x, Vector256<float> y) =>
        Avx.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle() + Avx.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();
}
