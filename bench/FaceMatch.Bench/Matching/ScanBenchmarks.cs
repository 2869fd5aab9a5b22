using BenchmarkDotNet.Attributes;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Bench.Matching;

/// <summary>
/// 1:N top-10 search over a random gallery: every supported kernel path per precision, single query and a batch
/// of 8 sharing one pass. Throughput in GB/s is the gallery's scanned bytes divided by the mean time.
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*ScanBenchmarks*'
/// (`facematch bench match` is the command for headline numbers and the FAISS comparison.)
/// </summary>
public class ScanBenchmarks
{
    private Gallery? _gallery;
    private float[] _queries = [];
    private SearchOptions _options = new();

    [Params(10_000, 200_000)]
    public int N { get; set; }

    [Params(512)]
    public int Dim { get; set; }

    [Params(1, 8)]
    public int Batch { get; set; }

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    public static IEnumerable<string> Cases() =>
        from p in Enum.GetValues<VectorPrecision>()
        from path in KernelSupport.SupportedPaths(p)
        where path != KernelPath.Scalar // minutes per case at these sizes; the tests cover its correctness
        select $"{p}/{path}";

    [GlobalSetup]
    public void Setup()
    {
        var precision = Enum.Parse<VectorPrecision>(Case.Split('/')[0]);
        var path = Enum.Parse<KernelPath>(Case.Split('/')[1]);
        _gallery = new Gallery(new GalleryOptions { Dimension = Dim, Precision = precision, InitialCapacity = N, BackgroundCompaction = false });
        var rng = new Random(7);
        var v = new float[Dim];
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < Dim; j++) v[j] = (float)(rng.NextDouble() - 0.5);
            _gallery.Upsert(i.ToString(), v);
        }
        _queries = Enumerable.Range(0, Batch * Dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _options = new SearchOptions { Kernel = path, Strategy = SearchStrategy.CompressedOnly };
    }

    [GlobalCleanup]
    public void Cleanup() => _gallery?.Dispose();

    [Benchmark]
    public int Search() => _gallery!.SearchBatch(_queries, Batch, 10, _options).Length;
}
