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
/// <see cref="LoadRow"/> is separate from <see cref="Accumulate"/> so that the multi-query kernel loads and
/// converts a row chunk once and reuses it for every query in the group.
/// </remarks>
internal unsafe interface IDotOps<TAcc, TRow>
    where TAcc : struct
    where TRow : struct
{
    static abstract int ElementsPerStep { get; }
    static abstract int RowBytesPerStep { get; }
    static abstract int QueryBytesPerStep { get; }

    /// <summary>True if this path reads int8 rows as unsigned (value + 128): the raw sum then carries 128 * sum(query).</summary>
    static abstract bool BiasedRows { get; }

    static abstract TAcc Zero();
    static abstract TRow LoadRow(byte* row);
    static abstract TAcc Accumulate(TAcc acc, TRow row, byte* query);
    static abstract TAcc Add(TAcc a, TAcc b);
    static abstract float Reduce(TAcc acc);
}
