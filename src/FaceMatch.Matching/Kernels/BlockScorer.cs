using System.Runtime.Intrinsics;

namespace FaceMatch.Matching.Kernels;

/// <summary>
/// One (precision, path) pair as an object the scan can hold: a virtual call per block of rows, then the
/// specialised generic loop inside. Instances are cached; <see cref="For"/> never allocates after start-up.
/// </summary>
internal abstract unsafe class BlockScorer
{
    public abstract VectorPrecision Precision { get; }
    public abstract KernelPath Path { get; }
    public abstract int ElementsPerStep { get; }

    /// <summary>True if the kernels need each row's sum (int8 on VNNI: the query is read as value + 128).</summary>
    public abstract bool RowSumBias { get; }

    /// <summary>One row, one query; <paramref name="rowSum"/> is used only by <see cref="RowSumBias"/> paths.</summary>
    public abstract float DotRow(byte* row, byte* query, int steps, int rowSum);

    /// <summary><paramref name="rowSums"/>: the block's rows' sums for <see cref="RowSumBias"/> paths, else ignored (may be null).</summary>
    public abstract void Score1(byte* block, nint stride, int rows, byte* query, int steps, float* scores, int* rowSums);

    public abstract void Score4(byte* block, nint stride, int rows, byte* queries, nint queryPitch, int steps, float* scores,
        int scorePitch, int* rowSums);

    public int Steps(int paddedElements) => paddedElements / ElementsPerStep;

    private static readonly BlockScorer?[,] Cache = Build();

    /// <summary>The scorer for a resolved (not Auto), supported path.</summary>
    public static BlockScorer For(VectorPrecision precision, KernelPath path)
    {
        var resolved = KernelSupport.Resolve(path, precision);
        return Cache[(int)precision, (int)resolved]
            ?? throw new NotSupportedException($"no {resolved} kernel for {precision}");
    }

    private static BlockScorer?[,] Build()
    {
        var cache = new BlockScorer?[3, 7];
        void Add(BlockScorer s) => cache[(int)s.Precision, (int)s.Path] = s;
        Add(new Of<Float32Scalar, float, Float32Scalar.Quad, Float32Scalar.Quad>(VectorPrecision.Float32, KernelPath.Scalar));
        Add(new Of<Float32V128, Vector128<float>, Vector128<float>, Vector128<float>>(VectorPrecision.Float32, KernelPath.Vector128));
        Add(new Of<Float32V256, Vector256<float>, Vector256<float>, Vector256<float>>(VectorPrecision.Float32, KernelPath.Vector256));
        Add(new Of<Float32V512, Vector512<float>, Vector512<float>, Vector512<float>>(VectorPrecision.Float32, KernelPath.Vector512));
        Add(new Of<Float16Scalar, float, Float32Scalar.Quad, Float32Scalar.Quad>(VectorPrecision.Float16, KernelPath.Scalar));
        Add(new Of<Float16V128, Vector128<float>, Pair<Vector128<float>>, Pair<Vector128<float>>>(VectorPrecision.Float16, KernelPath.Vector128));
        Add(new Of<Float16V256, Vector256<float>, Pair<Vector256<float>>, Pair<Vector256<float>>>(VectorPrecision.Float16, KernelPath.Vector256));
        Add(new Of<Float16V512, Vector512<float>, Pair<Vector512<float>>, Pair<Vector512<float>>>(VectorPrecision.Float16, KernelPath.Vector512));
        Add(new Of<Int8Scalar, int, Int8Scalar.Quad, Int8Scalar.Quad>(VectorPrecision.Int8, KernelPath.Scalar));
        Add(new Of<Int8V128, Vector128<int>, Pair<Vector128<short>>, Pair<Vector128<short>>>(VectorPrecision.Int8, KernelPath.Vector128));
        Add(new Of<Int8V256, Vector256<int>, Vector256<short>, Vector256<short>>(VectorPrecision.Int8, KernelPath.Vector256));
        Add(new Of<Int8V512, Vector512<int>, Vector512<short>, Vector512<short>>(VectorPrecision.Int8, KernelPath.Vector512));
        Add(new Of<Int8Vnni256, Vector256<int>, Vector256<sbyte>, Vector256<byte>>(VectorPrecision.Int8, KernelPath.AvxVnni256));
        Add(new NativeVnni512.Scorer());
        return cache;
    }

    private sealed class Of<TOps, TAcc, TRow, TQuery>(VectorPrecision precision, KernelPath path) : BlockScorer
        where TOps : struct, IDotOps<TAcc, TRow, TQuery>
        where TAcc : struct
        where TRow : struct
        where TQuery : struct
    {
        public override VectorPrecision Precision => precision;
        public override KernelPath Path => path;
        public override int ElementsPerStep => TOps.ElementsPerStep;
        public override bool RowSumBias => TOps.RowSumBias;

        public override float DotRow(byte* row, byte* query, int steps, int rowSum) =>
            DotKernels.DotRow<TOps, TAcc, TRow, TQuery>(row, query, steps, rowSum);

        public override void Score1(byte* block, nint stride, int rows, byte* query, int steps, float* scores, int* rowSums) =>
            DotKernels.Score1<TOps, TAcc, TRow, TQuery>(block, stride, rows, query, steps, scores, TOps.RowSumBias ? rowSums : null);

        public override void Score4(byte* block, nint stride, int rows, byte* queries, nint queryPitch, int steps, float* scores,
            int scorePitch, int* rowSums) =>
            DotKernels.Score4<TOps, TAcc, TRow, TQuery>(block, stride, rows, queries, queryPitch, steps, scores, scorePitch,
                TOps.RowSumBias ? rowSums : null);
    }
}
