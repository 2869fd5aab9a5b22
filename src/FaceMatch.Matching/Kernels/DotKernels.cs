using System.Runtime.CompilerServices;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// The loops every path shares, written once against <see cref="IDotOps{TAcc,TRow}"/>. Rows are padded to whole
/// steps (see <see cref="RowLayout"/>), so there are no tails here.
/// </summary>
internal static unsafe class DotKernels
{
    /// <summary>
    /// Raw dot product of one row with one prepared query. One accumulator, steps in order: exactly the chain
    /// <see cref="Score1{TOps,TAcc,TRow}"/> and <see cref="Score4{TOps,TAcc,TRow}"/> run per row, so a row scores the
    /// same bits whichever kernel, block position, partition or batch it is scored in (ties and compaction stay
    /// deterministic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotRow<TOps, TAcc, TRow>(byte* row, byte* query, int steps)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        TAcc acc = TOps.Zero();
        for (int s = 0; s < steps; s++)
        {
            acc = TOps.Accumulate(acc, TOps.LoadRow(row), query);
            row += TOps.RowBytesPerStep;
            query += TOps.QueryBytesPerStep;
        }
        return TOps.Reduce(acc);
    }

    /// <summary>
    /// Raw scores of <paramref name="rows"/> consecutive rows against one query, four rows at a time so that four
    /// independent accumulation chains (and four memory streams) are in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score1<TOps, TAcc, TRow>(byte* block, nint stride, int rows, byte* query, int steps, float* scores)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p = block + r * stride;
            byte* q = query;
            TAcc a0 = TOps.Zero(), a1 = TOps.Zero(), a2 = TOps.Zero(), a3 = TOps.Zero();
            for (int s = 0; s < steps; s++)
            {
                a0 = TOps.Accumulate(a0, TOps.LoadRow(p), q);
                a1 = TOps.Accumulate(a1, TOps.LoadRow(p + stride), q);
                a2 = TOps.Accumulate(a2, TOps.LoadRow(p + 2 * stride), q);
                a3 = TOps.Accumulate(a3, TOps.LoadRow(p + 3 * stride), q);
                p += TOps.RowBytesPerStep;
                q += TOps.QueryBytesPerStep;
            }
            scores[r] = TOps.Reduce(a0);
            scores[r + 1] = TOps.Reduce(a1);
            scores[r + 2] = TOps.Reduce(a2);
            scores[r + 3] = TOps.Reduce(a3);
        }
        for (; r < rows; r++)
            scores[r] = DotRow<TOps, TAcc, TRow>(block + r * stride, query, steps);
    }

    /// <summary>
    /// Raw scores of <paramref name="rows"/> rows against four queries (two rows at a time, eight accumulators):
    /// each row chunk is loaded and converted once and used by all four queries, which is what lets a batch of
    /// probes share one pass over memory. Query j starts at <paramref name="queries"/> + j * <paramref name="queryPitch"/>;
    /// its scores go to <paramref name="scores"/> + j * <paramref name="scorePitch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Score4<TOps, TAcc, TRow>(byte* block, nint stride, int rows, byte* queries, nint queryPitch,
        int steps, float* scores, int scorePitch)
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        int r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            byte* p = block + r * stride;
            byte* q = queries;
            TAcc a00 = TOps.Zero(), a01 = TOps.Zero(), a02 = TOps.Zero(), a03 = TOps.Zero();
            TAcc a10 = TOps.Zero(), a11 = TOps.Zero(), a12 = TOps.Zero(), a13 = TOps.Zero();
            for (int s = 0; s < steps; s++)
            {
                TRow x0 = TOps.LoadRow(p);
                TRow x1 = TOps.LoadRow(p + stride);
                a00 = TOps.Accumulate(a00, x0, q);
                a10 = TOps.Accumulate(a10, x1, q);
                a01 = TOps.Accumulate(a01, x0, q + queryPitch);
                a11 = TOps.Accumulate(a11, x1, q + queryPitch);
                a02 = TOps.Accumulate(a02, x0, q + 2 * queryPitch);
                a12 = TOps.Accumulate(a12, x1, q + 2 * queryPitch);
                a03 = TOps.Accumulate(a03, x0, q + 3 * queryPitch);
                a13 = TOps.Accumulate(a13, x1, q + 3 * queryPitch);
                p += TOps.RowBytesPerStep;
                q += TOps.QueryBytesPerStep;
            }
            scores[r] = TOps.Reduce(a00);
            scores[r + 1] = TOps.Reduce(a10);
            scores[scorePitch + r] = TOps.Reduce(a01);
            scores[scorePitch + r + 1] = TOps.Reduce(a11);
            scores[2 * scorePitch + r] = TOps.Reduce(a02);
            scores[2 * scorePitch + r + 1] = TOps.Reduce(a12);
            scores[3 * scorePitch + r] = TOps.Reduce(a03);
            scores[3 * scorePitch + r + 1] = TOps.Reduce(a13);
        }
        if (r < rows)
        {
            byte* p = block + r * stride;
            byte* q = queries;
            TAcc a0 = TOps.Zero(), a1 = TOps.Zero(), a2 = TOps.Zero(), a3 = TOps.Zero();
            for (int s = 0; s < steps; s++)
            {
                TRow x = TOps.LoadRow(p);
                a0 = TOps.Accumulate(a0, x, q);
                a1 = TOps.Accumulate(a1, x, q + queryPitch);
                a2 = TOps.Accumulate(a2, x, q + 2 * queryPitch);
                a3 = TOps.Accumulate(a3, x, q + 3 * queryPitch);
                p += TOps.RowBytesPerStep;
                q += TOps.QueryBytesPerStep;
            }
            scores[r] = TOps.Reduce(a0);
            scores[scorePitch + r] = TOps.Reduce(a1);
            scores[2 * scorePitch + r] = TOps.Reduce(a2);
            scores[3 * scorePitch + r] = TOps.Reduce(a3);
        }
    }
}
