namespace FaceMatch.Matching.Kernels;

/// <summary>
/// One kernel path for one element type, as a handful of static operations the generic scan loops in
/// <see cref="DotKernels"/> are written against. Implementations are structs so the JIT compiles one
/// specialised, fully inlined loop per path (no virtual calls in the hot loop).
/// </summary>
/// <remarks>
/// A step consumes <see cref="ElementsPerStep"/> elements: <see cref="RowBytesPerStep"/> bytes of the stored row
/// and <see cref="QueryBytesPerStep"/> bytes of the prepared query (the query may be held in a wider type than
/// the row, e.g. int16 for the VPMADDWD int8 paths). Rows are zero-padded to a multiple of 64 bytes, so a row
/// is always a whole number of steps and no loop needs a tail.
/// <see cref="LoadRow"/> and <see cref="LoadQuery"/> are separate from <see cref="Accumulate"/> so that the
/// register-tiled kernels load and convert each row chunk and each query chunk once per step and reuse them for
/// every (row, query) pair of the tile.
/// </remarks>
internal unsafe interface IDotOps<TAcc, TRow, TQuery>
    where TAcc : struct
    where TRow : struct
    where TQuery : struct
{
    static abstract int ElementsPerStep { get; }
    static abstract int RowBytesPerStep { get; }
    static abstract int QueryBytesPerStep { get; }

    /// <summary>
    /// True if this path reads the int8 query as unsigned (value + 128, VPDPBUSD): a raw sum then carries
    /// 128 * sum(row), which <see cref="Finish"/> takes off exactly, in integers, from the row's stored sum.
    /// </summary>
    static abstract bool RowSumBias { get; }

    static abstract TAcc Zero();
    static abstract TRow LoadRow(byte* row);
    static abstract TQuery LoadQuery(byte* query);
    static abstract TAcc Accumulate(TAcc acc, TRow row, TQuery query);

    /// <summary>
    /// The score of one accumulator: its lanes summed in the canonical order (<see cref="HorizontalSum"/>), and for
    /// <see cref="RowSumBias"/> paths 128 * <paramref name="rowSum"/> taken off before the one conversion to float.
    /// </summary>
    static abstract float Finish(TAcc acc, int rowSum);

    /// <summary>True if the path overrides <see cref="Finish16"/> (a JIT-time constant in the tiled loops).</summary>
    static virtual bool HasFinish16 => false;

    /// <summary>
    /// The scores of a 4 x 4 tile at once: <c>a{r}{q}</c> is row r against query q; its score goes to
    /// <c>scores[q * scorePitch + r]</c>. <paramref name="rowSums"/> holds the four rows' sums (null unless
    /// <see cref="RowSumBias"/>). Paths with wide registers implement it as a transposed reduction that sums all
    /// sixteen accumulators in the same order as <see cref="Finish"/> does one, so the bits are the same either way;
    /// the others score the pairs one by one (<see cref="HasFinish16"/> false).
    /// </summary>
    static virtual void Finish16(
        TAcc a00, TAcc a01, TAcc a02, TAcc a03, TAcc a10, TAcc a11, TAcc a12, TAcc a13,
        TAcc a20, TAcc a21, TAcc a22, TAcc a23, TAcc a30, TAcc a31, TAcc a32, TAcc a33,
        int* rowSums, float* scores, nint scorePitch) => throw new NotSupportedException();
}
