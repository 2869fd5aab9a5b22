using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;
using FaceMatch.Matching.Search;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Tests;

/// <summary>
/// The register-tiled kernels (4 rows x 4 queries, with their one-row and one-query edges), each path forced in
/// turn: every score against a double-precision (float32/16) or exact integer (int8) reference computed from the
/// stored values, and bit-for-bit equal to the same pair scored alone, at row counts that leave every tail.
/// </summary>
public unsafe class BatchedKernelTests
{
    private static readonly int[] Dimensions = [1, 16, 17, 64, 129, 512];
    private static readonly int[] RowCounts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13];

    public static IEnumerable<object[]> PrecisionPaths() => SearchTests.PrecisionPaths();

    [Theory]
    [MemberData(nameof(PrecisionPaths))]
    public void Tiles_match_the_reference_and_the_single_pair_bit_for_bit(VectorPrecision precision, KernelPath path)
    {
        var rng = new Random(100 + (int)precision * 10 + (int)path);
        var scorer = BlockScorer.For(precision, path);
        foreach (int dim in Dimensions)
        {
            foreach (int rows in RowCounts)
            {
                var stored = Enumerable.Range(0, rows).Select(_ => TestVectors.Unit(rng, dim)).ToArray();
                var probes = Enumerable.Range(0, 4).Select(_ => TestVectors.Unit(rng, dim)).ToArray();
                var store = new RowStore(dim, rows, precision, keepFloat32: false);
                try
                {
                    for (int r = 0; r < rows; r++) store.Append($"r{r}", stored[r]);
                    var m = store.Matrix(precision)!.Value;
                    using var queries = new PreparedQueries(probes.SelectMany(p => p).ToArray(), 4, dim, precision, scorer);
                    var tile = new float[4 * rows];
                    var single = new float[rows];
                    fixed (float* t = tile)
                        scorer.Score4(m.Data, m.Stride, rows, queries.Query(0), queries.Pitch, queries.Steps, t, rows, m.RowSums);
                    for (int q = 0; q < 4; q++)
                    {
                        fixed (float* s = single)
                            scorer.Score1(m.Data, m.Stride, rows, queries.Query(q), queries.Steps, s, m.RowSums);
                        for (int r = 0; r < rows; r++)
                        {
                            string where = $"{precision} {path} d={dim} rows={rows} q={q} r={r}";
                            float alone = scorer.DotRow(m.Data + r * m.Stride, queries.Query(q), queries.Steps,
                                m.RowSums == null ? 0 : m.RowSums[r]);
                            Assert.True(BitConverter.SingleToInt32Bits(alone) == BitConverter.SingleToInt32Bits(tile[q * rows + r]),
                                $"{where}: tile {tile[q * rows + r]} vs alone {alone}");
                            Assert.True(BitConverter.SingleToInt32Bits(alone) == BitConverter.SingleToInt32Bits(single[r]),
                                $"{where}: one-query kernel {single[r]} vs alone {alone}");
                            var (expected, magnitude) = Reference(precision, stored[r], probes[q]);
                            if (precision == VectorPrecision.Int8)
                                Assert.True(expected == alone, $"{where}: {alone} vs exact {expected}");
                            else
                                Assert.True(Math.Abs(alone - expected) <= 1e-5 * magnitude + 1e-7, $"{where}: {alone} vs {expected}");
                        }
                    }
                }
                finally
                {
                    store.Release();
                }
            }
        }
    }

    [Fact]
    public void Int8_tiles_are_exact_at_the_extremes_and_round_once_past_float_precision()
    {
        // 16384 * 127 * 127 is far past 2^24: every path must give the exact integer rounded once to float.
        const int dim = GalleryOptions.MaxSupportedDimension;
        var rowSigns = new[] { 1f, -1f, 1f, 1f, -1f };
        var rows = rowSigns.Select(s => Enumerable.Repeat(s, dim).ToArray()).ToArray();
        var probe = Enumerable.Repeat(1f, dim).ToArray();
        float expected = (float)(127L * 127 * dim);
        foreach (var path in KernelSupport.SupportedPaths(VectorPrecision.Int8))
        {
            var scorer = BlockScorer.For(VectorPrecision.Int8, path);
            var store = new RowStore(dim, rows.Length, VectorPrecision.Int8, keepFloat32: false);
            try
            {
                for (int r = 0; r < rows.Length; r++) store.Append($"r{r}", rows[r]);
                var m = store.Matrix(VectorPrecision.Int8)!.Value;
                using var queries = new PreparedQueries(Enumerable.Repeat(probe, 4).SelectMany(p => p).ToArray(), 4, dim,
                    VectorPrecision.Int8, scorer);
                var tile = new float[4 * rows.Length];
                fixed (float* t = tile)
                    scorer.Score4(m.Data, m.Stride, rows.Length, queries.Query(0), queries.Pitch, queries.Steps, t, rows.Length, m.RowSums);
                for (int q = 0; q < 4; q++)
                    for (int r = 0; r < rows.Length; r++)
                        Assert.True(rowSigns[r] * expected == tile[q * rows.Length + r], $"{path} q={q} r={r}: {tile[q * rows.Length + r]}");
            }
            finally
            {
                store.Release();
            }
        }
    }

    [Fact]
    public void Panels_score_each_pair_as_one_fused_multiply_add_chain_and_match_the_reference()
    {
        // Rows that fill 16-row groups and panels exactly, and every partial case; 1, 8 and 11 queries (a partial group).
        int[] rowCounts = [1, 5, 16, 17, 47, 48, 49, 100];
        int[] queryCounts = [1, 8, 11];
        var precisions = new[] { VectorPrecision.Float32, VectorPrecision.Float16 }
            .Where(p => PanelKernels.Supports(p, KernelPath.Vector512)).ToArray();
        if (precisions.Length == 0) Console.WriteLine("packed panels NOT RUN: this CPU has no AVX-512");
        var rng = new Random(300);
        foreach (var precision in precisions)
        foreach (int dim in Dimensions)
        foreach (int rows in rowCounts)
        foreach (int count in queryCounts)
        {
            var stored = Enumerable.Range(0, rows).Select(_ => TestVectors.Unit(rng, dim)).ToArray();
            var probes = Enumerable.Range(0, count).Select(_ => TestVectors.Unit(rng, dim)).ToArray();
            var scorer = BlockScorer.For(precision, KernelPath.Vector512);
            var store = new RowStore(dim, rows, precision, keepFloat32: false);
            try
            {
                for (int r = 0; r < rows; r++) store.Append($"r{r}", stored[r]);
                var m = store.Matrix(precision)!.Value;
                using var queries = new PreparedQueries(probes.SelectMany(p => p).ToArray(), count, dim, precision, scorer);
                int depth = queries.Steps * scorer.ElementsPerStep;
                int panelCount = (rows + PanelKernels.PanelRows - 1) / PanelKernels.PanelRows;
                int pitch = panelCount * PanelKernels.PanelRows;
                // Garbage first: the packing must write every element of every panel, zeros past the last row.
                var panels = Enumerable.Repeat(float.NaN, pitch * depth).ToArray();
                var group = new float[depth * PanelKernels.TileQueries];
                var scores = new float[PanelKernels.TileQueries * pitch];
                fixed (float* pp = panels, g = group, sc = scores)
                {
                    PanelKernels.Pack(precision, m.Data, m.Stride, rows, depth, pp);
                    for (int first = 0; first < count; first += PanelKernels.TileQueries)
                    {
                        int live = Math.Min(PanelKernels.TileQueries, count - first);
                        PanelKernels.PackQueries(queries.Query(first), queries.Pitch, live, depth, g);
                        for (int p = 0; p < panelCount; p++)
                            PanelKernels.Tile(pp + p * PanelKernels.PanelRows * depth, g, depth, sc + p * PanelKernels.PanelRows, pitch, m.Data);
                        for (int j = 0; j < PanelKernels.TileQueries; j++)
                        for (int r = 0; r < pitch; r++)
                        {
                            string where = $"{precision} d={dim} rows={rows} queries={count} q={first + j} r={r}";
                            float got = scores[j * pitch + r];
                            if (j >= live || r >= rows)
                            {
                                Assert.True(got == 0f, $"{where}: padding scored {got}");
                                continue;
                            }
                            // Element by element in order, one rounding per step: what lane r of the accumulator does.
                            byte* row = m.Data + r * m.Stride;
                            var query = (float*)queries.Query(first + j);
                            float chain = 0f;
                            for (int k = 0; k < depth; k++)
                            {
                                float x = precision == VectorPrecision.Float32 ? ((float*)row)[k] : Float16Bits.Widen(((short*)row)[k]);
                                chain = MathF.FusedMultiplyAdd(x, query[k], chain);
                            }
                            Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(got), $"{where}: {got} vs chain {chain}");
                            var (expected, magnitude) = Reference(precision, stored[r], probes[first + j]);
                            Assert.True(Math.Abs(got - expected) <= 1e-5 * magnitude + 1e-7, $"{where}: {got} vs {expected}");
                        }
                    }
                }
            }
            finally
            {
                store.Release();
            }
        }
    }

    /// <summary>The dot product of what the store holds for <paramref name="row"/> with what the query holds.</summary>
    private static (double Value, double Magnitude) Reference(VectorPrecision precision, float[] row, float[] probe)
    {
        double sum = 0, magnitude = 0;
        switch (precision)
        {
            case VectorPrecision.Float32:
                for (int i = 0; i < row.Length; i++) { sum += (double)row[i] * probe[i]; magnitude += Math.Abs((double)row[i] * probe[i]); }
                break;
            case VectorPrecision.Float16:
                // The kernels see the query times 2^112 and the half times 2^-112: the product is the half's.
                for (int i = 0; i < row.Length; i++)
                {
                    double h = (double)(float)(Half)row[i];
                    sum += h * probe[i];
                    magnitude += Math.Abs(h * probe[i]);
                }
                break;
            default:
                var qr = new sbyte[row.Length];
                var qp = new sbyte[row.Length];
                Int8Quantizer.Quantize(row, qr);
                Int8Quantizer.Quantize(probe, qp);
                long exact = 0;
                for (int i = 0; i < row.Length; i++) exact += qr[i] * qp[i];
                return ((float)exact, 0);
        }
        return (sum, magnitude);
    }
}
