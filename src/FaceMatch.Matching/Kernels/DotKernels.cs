using System.Runtime.CompilerServices;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The loops every path shares, written once against <see cref="IDotOps{TAcc,TRow,TQuery}"/>. Rows are padded to
/// whole steps (see <see cref="RowLayout"/>), so there are no element tails here.
/// </summary>
/// <remarks>
/// Every kernel scores a (row, query) pair the same way: one accumulator, steps added in order, lanes summed by
/// <see cref="IDotOps{TAcc,TRow,TQuery}.Finish"/> (or its transposed form for a whole tile, same order). So a row
/// scores the same bits whichever kernel, tile position, block position, thread partition or batch it is scored
/// in: ties resolve the same way everywhere, and compaction and batching never change a result. Latency is hidden
/// by scoring several pairs at once (a register tile) rather than by splitting one pair's sum.
/// <para>
/// The batched kernel is a 4 x 4 register tile: per step it loads four query chunks and four row chunks once and
/// does sixteen multiply-adds into sixteen accumulators, so it needs half a load per multiply-add, where a
/// one-query scan needs two. The scan feeds it a block of rows that stays in L2 while every group of four queries
/// of the batch passes over it, so the gallery is read from memory once per batch (see ScanEngine).
/// </para>
/// </remarks>
internal static unsafe class DotKernels
{
    /// <summary>The score of one row against one prepared query.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotRow<TOps, TAcc, TRow, TQuery>(byte* row, byte* query, int steps, int rowSum)
        where TOps : struct, IDotOps<TAcc, TRow, TQuery>
        where TAcc : struct
        where TRow : struct
        where TQuery : struct
        => TOps.Finish(Accumulated<TOps, TAcc, TRow, TQuery>(row, query, steps), rowSum);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TAcc Accumulated<TOps, TAcc, TRow, TQuery>(byte* row, byte* query, int steps)
        where TOps : struct, IDotOps<TAcc, TRow, TQuery>
        where TAcc : struct
        where TRow : struct
        where TQuery : struct
    {
        int rb = TOps.RowBytesPerStep, qb = TOps.QueryBytesPerStep;
        TAcc a = TOps.Zero();
        for (int s = 0; s < steps; s++, row += rb, query += qb)
            a = TOps.Accumulate(a, TOps.LoadRow(row), TOps.LoadQuery(query));
        return a;
    }

    /// <summary>Scores of <paramref name="rows"/> consecutive rows against one query (tiles of four rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score1<TOps, TAcc, TRow, TQuery>(byte* block, nint stride, int rows, byte* query, int steps,
        float* scores, int* rowSums)
        where TOps : struct, IDotOps<TAcc, TRow, TQuery>
        where TAcc : struct
        where TRow : struct
        where TQuery : struct
    {
        int rb = TOps.RowBytesPerStep, qb = TOps.QueryBytesPerStep;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p0 = block + r * stride, p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
            TAcc a0 = TOps.Zero(), a1 = TOps.Zero(), a2 = TOps.Zero(), a3 = TOps.Zero();
            nint ro = 0, qo = 0;
            for (int s = 0; s < steps; s++, ro += rb, qo += qb)
            {
                TQuery q = TOps.LoadQuery(query + qo);
                a0 = TOps.Accumulate(a0, TOps.LoadRow(p0 + ro), q);
                a1 = TOps.Accumulate(a1, TOps.LoadRow(p1 + ro), q);
                a2 = TOps.Accumulate(a2, TOps.LoadRow(p2 + ro), q);
                a3 = TOps.Accumulate(a3, TOps.LoadRow(p3 + ro), q);
            }
            scores[r] = TOps.Finish(a0, RowSum(rowSums, r));
            scores[r + 1] = TOps.Finish(a1, RowSum(rowSums, r + 1));
            scores[r + 2] = TOps.Finish(a2, RowSum(rowSums, r + 2));
            scores[r + 3] = TOps.Finish(a3, RowSum(rowSums, r + 3));
        }
        for (; r < rows; r++)
            scores[r] = TOps.Finish(Accumulated<TOps, TAcc, TRow, TQuery>(block + r * stride, query, steps), RowSum(rowSums, r));
    }

    /// <summary>
    /// Scores of <paramref name="rows"/> rows against four queries, in 4 x 4 register tiles (rows beyond the last whole
    /// tile: one row by four queries). Query j starts at <paramref name="queries"/> + j * <paramref name="queryPitch"/>;
    /// its scores go to <paramref name="scores"/> + j * <paramref name="scorePitch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score4<TOps, TAcc, TRow, TQuery>(byte* block, nint stride, int rows, byte* queries, nint queryPitch,
        int steps, float* scores, int scorePitch, int* rowSums)
        where TOps : struct, IDotOps<TAcc, TRow, TQuery>
        where TAcc : struct
        where TRow : struct
        where TQuery : struct
    {
        int rb = TOps.RowBytesPerStep, qb = TOps.QueryBytesPerStep;
        byte* q0 = queries, q1 = queries + queryPitch, q2 = queries + 2 * queryPitch, q3 = queries + 3 * queryPitch;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p0 = block + r * stride, p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
            TAcc a00 = TOps.Zero(), a01 = TOps.Zero(), a02 = TOps.Zero(), a03 = TOps.Zero();
            TAcc a10 = TOps.Zero(), a11 = TOps.Zero(), a12 = TOps.Zero(), a13 = TOps.Zero();
            TAcc a20 = TOps.Zero(), a21 = TOps.Zero(), a22 = TOps.Zero(), a23 = TOps.Zero();
            TAcc a30 = TOps.Zero(), a31 = TOps.Zero(), a32 = TOps.Zero(), a33 = TOps.Zero();
            nint ro = 0, qo = 0;
            for (int s = 0; s < steps; s++, ro += rb, qo += qb)
            {
                TQuery y0 = TOps.LoadQuery(q0 + qo), y1 = TOps.LoadQuery(q1 + qo);
                TQuery y2 = TOps.LoadQuery(q2 + qo), y3 = TOps.LoadQuery(q3 + qo);
                TRow x = TOps.LoadRow(p0 + ro);
                a00 = TOps.Accumulate(a00, x, y0); a01 = TOps.Accumulate(a01, x, y1);
                a02 = TOps.Accumulate(a02, x, y2); a03 = TOps.Accumulate(a03, x, y3);
                x = TOps.LoadRow(p1 + ro);
                a10 = TOps.Accumulate(a10, x, y0); a11 = TOps.Accumulate(a11, x, y1);
                a12 = TOps.Accumulate(a12, x, y2); a13 = TOps.Accumulate(a13, x, y3);
                x = TOps.LoadRow(p2 + ro);
                a20 = TOps.Accumulate(a20, x, y0); a21 = TOps.Accumulate(a21, x, y1);
                a22 = TOps.Accumulate(a22, x, y2); a23 = TOps.Accumulate(a23, x, y3);
                x = TOps.LoadRow(p3 + ro);
                a30 = TOps.Accumulate(a30, x, y0); a31 = TOps.Accumulate(a31, x, y1);
                a32 = TOps.Accumulate(a32, x, y2); a33 = TOps.Accumulate(a33, x, y3);
            }
            int* sums = rowSums == null ? null : rowSums + r;
            if (TOps.HasFinish16)
            {
                TOps.Finish16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33, sums, scores + r, scorePitch);
            }
            else
            {
                float* c = scores + r;
                int s0 = RowSum(sums, 0), s1 = RowSum(sums, 1), s2 = RowSum(sums, 2), s3 = RowSum(sums, 3);
                c[0] = TOps.Finish(a00, s0); c[1] = TOps.Finish(a10, s1); c[2] = TOps.Finish(a20, s2); c[3] = TOps.Finish(a30, s3);
                c += scorePitch;
                c[0] = TOps.Finish(a01, s0); c[1] = TOps.Finish(a11, s1); c[2] = TOps.Finish(a21, s2); c[3] = TOps.Finish(a31, s3);
                c += scorePitch;
                c[0] = TOps.Finish(a02, s0); c[1] = TOps.Finish(a12, s1); c[2] = TOps.Finish(a22, s2); c[3] = TOps.Finish(a32, s3);
                c += scorePitch;
                c[0] = TOps.Finish(a03, s0); c[1] = TOps.Finish(a13, s1); c[2] = TOps.Finish(a23, s2); c[3] = TOps.Finish(a33, s3);
            }
        }
        for (; r < rows; r++)
        {
            byte* p = block + r * stride;
            TAcc a0 = TOps.Zero(), a1 = TOps.Zero(), a2 = TOps.Zero(), a3 = TOps.Zero();
            nint ro = 0, qo = 0;
            for (int s = 0; s < steps; s++, ro += rb, qo += qb)
            {
                TRow x = TOps.LoadRow(p + ro);
                a0 = TOps.Accumulate(a0, x, TOps.LoadQuery(q0 + qo));
                a1 = TOps.Accumulate(a1, x, TOps.LoadQuery(q1 + qo));
                a2 = TOps.Accumulate(a2, x, TOps.LoadQuery(q2 + qo));
                a3 = TOps.Accumulate(a3, x, TOps.LoadQuery(q3 + qo));
            }
            int sum = RowSum(rowSums, r);
            scores[r] = TOps.Finish(a0, sum);
            scores[scorePitch + r] = TOps.Finish(a1, sum);
            scores[2 * scorePitch + r] = TOps.Finish(a2, sum);
            scores[3 * scorePitch + r] = TOps.Finish(a3, sum);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowSum(int* rowSums, int r) => rowSums == null ? 0 : rowSums[r];
}
