using System.Runtime.CompilerServices;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The loops every path shares, written once against <see cref="IDotOps{TAcc,TRow}"/>. Rows are padded to whole
/// steps (see <see cref="RowLayout"/>), so there are no element tails here.
/// </summary>
/// <remarks>
/// Every kernel sums a row the same way: step s goes into accumulator s mod 4, and the four are combined as
/// (a0 + a1) + (a2 + a3). So a row scores the same bits whichever kernel, block position, thread partition or
/// batch it is scored in: ties resolve the same way everywhere, compaction and batching never change a result.
/// Rows are read one after another (a single sequential stream, which the hardware prefetcher follows best);
/// four accumulators keep four multiply-adds in flight per row.
/// </remarks>
internal static unsafe class DotKernels
{
    /// <summary>Raw dot product of one row with one prepared query.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotRow<TOps, TAcc, TRow>(byte* row, byte* query, int steps)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
        => RowDot<TOps, TAcc, TRow>(row, query, steps);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowDot<TOps, TAcc, TRow>(byte* row, byte* query, int steps)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        int rb = TOps.RowBytesPerStep, qb = TOps.QueryBytesPerStep;
        TAcc a0 = TOps.Zero(), a1 = TOps.Zero(), a2 = TOps.Zero(), a3 = TOps.Zero();
        int s = 0;
        for (; s + 4 <= steps; s += 4)
        {
            a0 = TOps.Accumulate(a0, TOps.LoadRow(row), query);
            a1 = TOps.Accumulate(a1, TOps.LoadRow(row + rb), query + qb);
            a2 = TOps.Accumulate(a2, TOps.LoadRow(row + 2 * rb), query + 2 * qb);
            a3 = TOps.Accumulate(a3, TOps.LoadRow(row + 3 * rb), query + 3 * qb);
            row += 4 * rb;
            query += 4 * qb;
        }
        int rest = steps - s;
        if (rest > 0) a0 = TOps.Accumulate(a0, TOps.LoadRow(row), query);
        if (rest > 1) a1 = TOps.Accumulate(a1, TOps.LoadRow(row + rb), query + qb);
        if (rest > 2) a2 = TOps.Accumulate(a2, TOps.LoadRow(row + 2 * rb), query + 2 * qb);
        return TOps.Reduce(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)));
    }

    /// <summary>Raw scores of <paramref name="rows"/> consecutive rows against one query.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score1<TOps, TAcc, TRow>(byte* block, nint stride, int rows, byte* query, int steps, float* scores)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        byte* row = block;
        for (int r = 0; r < rows; r++, row += stride)
            scores[r] = RowDot<TOps, TAcc, TRow>(row, query, steps);
    }

    /// <summary>
    /// Raw scores of <paramref name="rows"/> rows against four queries: each row chunk is loaded and converted once
    /// and used by all four queries (sixteen accumulators), which is what lets a batch of probes share one pass
    /// over memory. Query j starts at <paramref name="queries"/> + j * <paramref name="queryPitch"/>; its scores go
    /// to <paramref name="scores"/> + j * <paramref name="scorePitch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score4<TOps, TAcc, TRow>(byte* block, nint stride, int rows, byte* queries, nint queryPitch,
        int steps, float* scores, int scorePitch)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        int rb = TOps.RowBytesPerStep, qb = TOps.QueryBytesPerStep;
        byte* q0 = queries, q1 = queries + queryPitch, q2 = queries + 2 * queryPitch, q3 = queries + 3 * queryPitch;
        for (int r = 0; r < rows; r++)
        {
            byte* p = block + r * stride;
            nint o = 0; // query byte offset
            TAcc a00 = TOps.Zero(), a01 = TOps.Zero(), a02 = TOps.Zero(), a03 = TOps.Zero();
            TAcc a10 = TOps.Zero(), a11 = TOps.Zero(), a12 = TOps.Zero(), a13 = TOps.Zero();
            TAcc a20 = TOps.Zero(), a21 = TOps.Zero(), a22 = TOps.Zero(), a23 = TOps.Zero();
            TAcc a30 = TOps.Zero(), a31 = TOps.Zero(), a32 = TOps.Zero(), a33 = TOps.Zero();
            int s = 0;
            for (; s + 4 <= steps; s += 4)
            {
                TRow x = TOps.LoadRow(p);
                a00 = TOps.Accumulate(a00, x, q0 + o); a10 = TOps.Accumulate(a10, x, q1 + o);
                a20 = TOps.Accumulate(a20, x, q2 + o); a30 = TOps.Accumulate(a30, x, q3 + o);
                x = TOps.LoadRow(p + rb);
                a01 = TOps.Accumulate(a01, x, q0 + o + qb); a11 = TOps.Accumulate(a11, x, q1 + o + qb);
                a21 = TOps.Accumulate(a21, x, q2 + o + qb); a31 = TOps.Accumulate(a31, x, q3 + o + qb);
                x = TOps.LoadRow(p + 2 * rb);
                a02 = TOps.Accumulate(a02, x, q0 + o + 2 * qb); a12 = TOps.Accumulate(a12, x, q1 + o + 2 * qb);
                a22 = TOps.Accumulate(a22, x, q2 + o + 2 * qb); a32 = TOps.Accumulate(a32, x, q3 + o + 2 * qb);
                x = TOps.LoadRow(p + 3 * rb);
                a03 = TOps.Accumulate(a03, x, q0 + o + 3 * qb); a13 = TOps.Accumulate(a13, x, q1 + o + 3 * qb);
                a23 = TOps.Accumulate(a23, x, q2 + o + 3 * qb); a33 = TOps.Accumulate(a33, x, q3 + o + 3 * qb);
                p += 4 * rb;
                o += 4 * qb;
            }
            int rest = steps - s;
            if (rest > 0)
            {
                TRow x = TOps.LoadRow(p);
                a00 = TOps.Accumulate(a00, x, q0 + o); a10 = TOps.Accumulate(a10, x, q1 + o);
                a20 = TOps.Accumulate(a20, x, q2 + o); a30 = TOps.Accumulate(a30, x, q3 + o);
            }
            if (rest > 1)
            {
                TRow x = TOps.LoadRow(p + rb);
                a01 = TOps.Accumulate(a01, x, q0 + o + qb); a11 = TOps.Accumulate(a11, x, q1 + o + qb);
                a21 = TOps.Accumulate(a21, x, q2 + o + qb); a31 = TOps.Accumulate(a31, x, q3 + o + qb);
            }
            if (rest > 2)
            {
                TRow x = TOps.LoadRow(p + 2 * rb);
                a02 = TOps.Accumulate(a02, x, q0 + o + 2 * qb); a12 = TOps.Accumulate(a12, x, q1 + o + 2 * qb);
                a22 = TOps.Accumulate(a22, x, q2 + o + 2 * qb); a32 = TOps.Accumulate(a32, x, q3 + o + 2 * qb);
            }
            scores[r] = TOps.Reduce(TOps.Add(TOps.Add(a00, a01), TOps.Add(a02, a03)));
            scores[scorePitch + r] = TOps.Reduce(TOps.Add(TOps.Add(a10, a11), TOps.Add(a12, a13)));
            scores[2 * scorePitch + r] = TOps.Reduce(TOps.Add(TOps.Add(a20, a21), TOps.Add(a22, a23)));
            scores[3 * scorePitch + r] = TOps.Reduce(TOps.Add(TOps.Add(a30, a31), TOps.Add(a32, a33)));
        }
    }
}
