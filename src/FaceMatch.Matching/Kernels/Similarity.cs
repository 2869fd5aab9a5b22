using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using FaceMatch.Matching.Quantization;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// 1:1 comparisons (verification): one dot product or cosine over two vectors of any length, on the chosen
/// kernel path. Whole steps run straight from the caller's memory; the last partial step goes through a small
/// zero-padded copy, so any length works on every path.
/// </summary>
public static unsafe class Similarity
{
    private const int StackQueryBytes = 16 * 1024;

    /// <summary>Σ a[i]·b[i] over float32.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, KernelPath path = KernelPath.Auto)
    {
        RequireSameLength(a.Length, b.Length);
        var scorer = BlockScorer.For(VectorPrecision.Float32, path);
        fixed (float* pa = a)
        fixed (float* pb = b)
            return Run(scorer, (byte*)pb, 4, (byte*)pa, 4, a.Length);
    }

    /// <summary>Cosine similarity a·b / (|a||b|) over float32; throws if either vector has zero length.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b, KernelPath path = KernelPath.Auto)
    {
        RequireSameLength(a.Length, b.Length);
        float ab = Dot(a, b, path), aa = Dot(a, a, path), bb = Dot(b, b, path);
        if (!(aa > 0) || !(bb > 0))
            throw new ArgumentException("cosine is undefined for a zero-length vector");
        return (float)(ab / (Math.Sqrt(aa) * Math.Sqrt(bb)));
    }

    /// <summary>Σ a[i]·b[i] with a float32 query and float16 stored values.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<Half> b, KernelPath path = KernelPath.Auto)
    {
        RequireSameLength(a.Length, b.Length);
        var scorer = BlockScorer.For(VectorPrecision.Float16, path);
        // The float16 kernels expect the query pre-multiplied by 2^112 (see Float16Ops).
        int bytes = a.Length * 4;
        byte[]? rented = null;
        Span<byte> scratch = bytes <= StackQueryBytes ? stackalloc byte[bytes] : (rented = ArrayPool<byte>.Shared.Rent(bytes));
        var scaled = MemoryMarshal.Cast<byte, float>(scratch)[..a.Length];
        int v = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var factor = new Vector<float>(Float16Bits.QueryScale);
            var src = MemoryMarshal.Cast<float, Vector<float>>(a);
            var dst = MemoryMarshal.Cast<float, Vector<float>>(scaled);
            for (; v < src.Length; v++) dst[v] = src[v] * factor;
            v *= Vector<float>.Count;
        }
        for (int i = v; i < a.Length; i++) scaled[i] = a[i] * Float16Bits.QueryScale;
        try
        {
            fixed (float* pq = scaled)
            fixed (Half* pb = b)
                return Run(scorer, (byte*)pb, 2, (byte*)pq, 4, a.Length);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Exact Σ a[i]·b[i] over int8 values.</summary>
    public static long Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, KernelPath path = KernelPath.Auto)
    {
        RequireSameLength(a.Length, b.Length);
        var scorer = BlockScorer.For(VectorPrecision.Int8, path);
        int queryElement = RowLayout.QueryElementBytes(VectorPrecision.Int8, scorer.Path);
        int bytes = a.Length * queryElement;
        byte[]? rented = null;
        Span<byte> scratch = bytes <= StackQueryBytes ? stackalloc byte[bytes] : (rented = ArrayPool<byte>.Shared.Rent(bytes));
        try
        {
            if (queryElement == 2) WidenAndSum(a, MemoryMarshal.Cast<byte, short>(scratch));
            else
            {
                // VNNI reads the query as unsigned bytes, value + 128 (see Int8Ops); the sums then carry 128 * sum(b).
                MemoryMarshal.AsBytes(a).CopyTo(scratch);
                for (int i = 0; i < a.Length; i++) scratch[i] ^= 0x80;
            }

            // Kernels convert to float once, which is exact below 2^24: sum in chunks small enough to stay exact
            // (512 * 255 * 128 < 2^24 even for the biased VNNI sums); the bias comes off here, in integers.
            const int chunk = 512;
            long total = 0;
            fixed (sbyte* pb = b)
            fixed (byte* pq = scratch)
            {
                for (int start = 0; start < a.Length; start += chunk)
                {
                    int n = Math.Min(chunk, a.Length - start);
                    total += (long)Run(scorer, (byte*)(pb + start), 1, pq + start * queryElement, queryElement, n);
                }
            }
            return scorer.RowSumBias ? total - 128 * WidenAndSum(b, default) : total;
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Approximate float dot product of two int8-quantised vectors: Σ qa·qb · scaleA · scaleB.</summary>
    public static float Dot(QuantizedVector a, QuantizedVector b, KernelPath path = KernelPath.Auto) =>
        (float)(Dot(a.Values, b.Values, path) * (double)a.Scale * b.Scale);

    /// <summary>Σ a[i], and a copy of a widened to int16 into <paramref name="wide"/> unless it is empty.</summary>
    private static long WidenAndSum(ReadOnlySpan<sbyte> a, Span<short> wide)
    {
        long sum = 0;
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var acc = Vector128<int>.Zero;
            for (; i + 16 <= a.Length; i += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Create(a.Slice(i, 16)));
                if (!wide.IsEmpty)
                {
                    lo.CopyTo(wide.Slice(i, 8));
                    hi.CopyTo(wide.Slice(i + 8, 8));
                }
                acc += (Vector128.WidenLower(lo) + Vector128.WidenUpper(lo)) + (Vector128.WidenLower(hi) + Vector128.WidenUpper(hi));
            }
            sum = Vector128.Sum(acc);
        }
        for (; i < a.Length; i++)
        {
            if (!wide.IsEmpty) wide[i] = a[i];
            sum += a[i];
        }
        return sum;
    }

    /// <summary>Whole steps from the operands in place, then one zero-padded step for the remainder.</summary>
    private static float Run(BlockScorer scorer, byte* row, int rowElement, byte* query, int queryElement, int n)
    {
        int per = scorer.ElementsPerStep;
        int steps = n / per;
        float sum = steps > 0 ? scorer.DotRow(row, query, steps, 0) : 0f;
        int done = steps * per, rest = n - done;
        if (rest > 0)
        {
            // Largest step: 32 elements; 8 bytes per element covers every layout with room to spare.
            byte* rowTail = stackalloc byte[256];
            byte* queryTail = stackalloc byte[256];
            new Span<byte>(rowTail, 256).Clear();
            new Span<byte>(queryTail, 256).Clear();
            Buffer.MemoryCopy(row + done * rowElement, rowTail, 256, rest * rowElement);
            Buffer.MemoryCopy(query + done * queryElement, queryTail, 256, rest * queryElement);
            sum += scorer.DotRow(rowTail, queryTail, 1, 0);
        }
        return sum;
    }

    private static void RequireSameLength(int a, int b)
    {
        if (a != b) throw new ArgumentException($"vectors differ in length ({a} vs {b})");
    }
}
