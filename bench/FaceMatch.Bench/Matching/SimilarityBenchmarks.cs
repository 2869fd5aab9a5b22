using BenchmarkDotNet.Attributes;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Bench.Matching;

/// <summary>
/// 1:1 dot products (verification) on every kernel path this CPU supports, per element type.
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*SimilarityBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class SimilarityBenchmarks
{
    private float[] _a = [], _b = [];
    private Half[] _h = [];
    private sbyte[] _qa = [], _qb = [];

    [Params(128, 192, 512)]
    public int Dim { get; set; }

    /// <summary>"Precision/Path" for every supported pair, so no benchmark case can fail for lack of an instruction set.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    public static IEnumerable<string> Cases() =>
        from p in Enum.GetValues<VectorPrecision>()
        from path in KernelSupport.SupportedPaths(p)
        select $"{p}/{path}";

    private VectorPrecision _precision;
    private KernelPath _path;

    [GlobalSetup]
    public void Setup()
    {
        _precision = Enum.Parse<VectorPrecision>(Case.Split('/')[0]);
        _path = Enum.Parse<KernelPath>(Case.Split('/')[1]);
        var rng = new Random(1);
        _a = Enumerable.Range(0, Dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _b = Enumerable.Range(0, Dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _h = _b.Select(x => (Half)x).ToArray();
        _qa = _a.Select(x => (sbyte)(x * 200)).ToArray();
        _qb = _b.Select(x => (sbyte)(x * 200)).ToArray();
    }

    [Benchmark]
    public float Dot() => _precision switch
    {
        VectorPrecision.Float32 => Similarity.Dot(_a, _b, _path),
        VectorPrecision.Float16 => Similarity.Dot(_a, _h, _path),
        _ => Similarity.Dot(_qa, _qb, _path),
    };
}
