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

    /// <summary>True if raw int8 sums carry 128 * sum(query) (the VNNI path), to be subtracted by the caller.</summary>
    public abstract bool BiasedRows { get; }

    public abstract float DotRow(byte* row, byte* query, int steps);
    public abstract void Score1(byte* block, nint stride, int rows, byte* query, int steps, float* scores);
    public abstract void Score4(byte* block, nint stride, int rows, byte* queries, nint queryPitch, int steps, float* scores, int scorePitch);

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
        var cache = new BlockScorer?[3, 6];
        void Add(BlockScorer s) => cache[(int)s.Precision, (int)s.Path] = s;
        Add(new Of<Float32Scalar, float, Float32Scalar.Quad>(VectorPrecision.Float32, KernelPath.Scalar));
        Add(new Of<Float32V128, System.Runtime.Intrinsics.Vector128<float>, System.Runtime.Intrinsics.Vector128<float>>(VectorPrecision.Float32, KernelPath.Vector128));
        Add(new Of<Float32V256, System.Runtime.Intrinsics.Vector256<float>, System.Runtime.Intrinsics.Vector256<float>>(VectorPrecision.Float32, KernelPath.Vector256));
        Add(new Of<Float32V512, System.Runtime.Intrinsics.Vector512<float>, System.Runtime.Intrinsics.Vector512<float>>(VectorPrecision.Float32, KernelPath.Vector512));
        Add(new Of<Float16Scalar, float, Float32Scalar.Quad>(VectorPrecision.Float16, KernelPath.Scalar));
        Add(new Of<Float16V128, System.Runtime.Intrinsics.Vector128<float>, Pair<System.Runtime.Intrinsics.Vector128<float>>>(VectorPrecision.Float16, KernelPath.Vector128));
        Add(new Of<Float16V256, System.Runtime.Intrinsics.Vector256<float>, Pair<System.Runtime.Intrinsics.Vector256<float>>>(VectorPrecision.Float16, KernelPath.Vector256));
        Add(new Of<Float16V512, System.Runtime.Intrinsics.Vector512<float>, Pair<System.Runtime.Intrinsics.Vector512<float>>>(VectorPrecision.Float16, KernelPath.Vector512));
        Add(new Of<Int8Scalar, int, Int8Scalar.Quad>(VectorPrecision.Int8, KernelPath.Scalar));
        Add(new Of<Int8V128, System.Runtime.Intrinsics.Vector128<int>, Pair<System.Runtime.Intrinsics.Vector128<short>>>(VectorPrecision.Int8, KernelPath.Vector128));
        Add(new Of<Int8V256, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<short>>(VectorPrecision.Int8, KernelPath.Vector256));
        Add(new Of<Int8V512, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<short>>(VectorPrecision.Int8, KernelPath.Vector512));
        Add(new Of<Int8Vnni256, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<byte>>(VectorPrecision.Int8, KernelPath.AvxVnni256));
        return cache;
    }

    private sealed class Of<TOps, TAcc, TRow>(VectorPrecision precision, KernelPath path) : BlockScorer
        where TOps : struct, IDotOps<TAcc, TRow>
        where TAcc : struct
        where TRow : struct
    {
        public override VectorPrecision Precision => precision;
        public override KernelPath Path => path;
        public override int ElementsPerStep => TOps.ElementsPerStep;
        public override bool BiasedRows => TOps.BiasedRows;

        public override float DotRow(byte* row, byte* query, int steps) =>
            DotKernels.DotRow<TOps, TAcc, TRow>(row, query, steps);

        public override void Score1(byte* block, nint stride, int rows, byte* query, int steps, float* scores) =>
            DotKernels.Score1<TOps, TAcc, TRow>(block, stride, rows, query, steps, scores);

        public override void Score4(byte* block, nint stride, int rows, byte* queries, nint queryPitch, int steps, float* scores, int scorePitch) =>
            DotKernels.Score4<TOps, TAcc, TRow>(block, stride, rows, queries, queryPitch, steps, scores, scorePitch);
    }
}
