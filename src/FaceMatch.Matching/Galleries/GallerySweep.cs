using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Search;

namespace FaceMatch.Matching.Galleries;

/// <summary>
/// The duplicate sweep behind <see cref="Gallery.FindDuplicates"/>: the gallery's own rows, a pass of probes at a time,
/// scored with the batched kernels against every later row of the same pinned store.
/// </summary>
/// <remarks>
/// Each pass prepares <see cref="DuplicateSweepOptions.ProbesPerPass"/> rows as queries and streams the rows from the
/// first probe on once, block by block (the batched scan), keeping the pairs at or above the threshold whose later
/// row comes after the probe, so each pair is scored and reported once and a sweep does N(N-1)/2 comparisons.
/// Memory stays bounded whatever the gallery holds: one pass of prepared probes, one block of scores and at most
/// <see cref="DuplicateSweepOptions.MaxPairsPerBatch"/> plus one block's pairs waiting for the caller, who pulls
/// batches at its own pace (the sweep computes only when asked for the next one). The sweep covers the rows present
/// when it started; rows removed meanwhile are skipped from the moment their tombstone is set.
/// </remarks>
internal static class GallerySweep
{
    public static IEnumerable<DuplicateBatch> Run(Gallery gallery, DuplicateSweepOptions options, CancellationToken cancellationToken)
    {
        var store = gallery.AcquireStore();
        try
        {
            int rows = store.Count, dim = store.Dimension;
            var precision = store.HasFloat32 ? VectorPrecision.Float32 : store.ScanPrecision;
            bool exact = precision == VectorPrecision.Float32;
            float gate = options.Threshold - options.EffectiveMargin(precision);
            var matrix = store.Matrix(precision)!.Value;
            var scorer = BlockScorer.For(precision, options.Kernel);
            int blockRows = ScanEngine.BlockRows(matrix.Stride);
            var scratch = new float[4 * blockRows];
            var pending = new List<(int Probe, int Row, float Score)>();
            int perPass = options.ProbesPerPass;
            var vectors = new float[perPass * dim];
            double total = (double)rows * (rows - 1) / 2, done = 0;
            // Progress counts the templates live when the sweep started, pass by pass.
            var livePerPass = new int[(rows + perPass - 1) / perPass];
            for (int r = 0; r < rows; r++)
                if (!store.IsDead(r)) livePerPass[r / perPass]++;
            int liveTotal = livePerPass.Sum(), liveDone = 0;

            DuplicateBatch Take(int count)
            {
                var pairs = new List<DuplicatePair>(count);
                for (int i = 0; i < count; i++)
                {
                    // Checked again on the way out: a row removed since its block was scored is not handed over.
                    var (p, r, s) = pending[i];
                    if (!store.IsDead(p) && !store.IsDead(r)) pairs.Add(new DuplicatePair(store.IdAt(p), store.IdAt(r), s));
                }
                pending.RemoveRange(0, count);
                return new DuplicateBatch(pairs, liveDone, liveTotal, total == 0 ? 1 : Math.Min(1, done / total), exact);
            }

            for (int first = 0; first < rows; first += perPass)
            {
                int count = Math.Min(perPass, rows - first);
                cancellationToken.ThrowIfCancellationRequested();
                store.CopyRowsAsFloat(first, count, vectors);
                using (var probes = new PreparedQueries(vectors.AsSpan(0, count * dim), count, dim, precision, scorer))
                {
                    for (int block = first; block < rows; block += blockRows)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        PairScan.ScoreBlock(matrix, block, Math.Min(blockRows, rows - block), probes, first, store.DeadFlags, gate, scratch, pending);
                        while (pending.Count >= options.MaxPairsPerBatch) yield return Take(options.MaxPairsPerBatch);
                    }
                }
                // Probe p is compared with the rows - p - 1 rows after it.
                done += (double)count * (rows - first) - (double)count * (count + 1) / 2;
                liveDone += livePerPass[first / perPass];
                do yield return Take(Math.Min(pending.Count, options.MaxPairsPerBatch));
                while (pending.Count > 0);
            }
            if (rows == 0) yield return new DuplicateBatch([], 0, 0, 1, exact);
        }
        finally
        {
            store.Release();
        }
    }
}
