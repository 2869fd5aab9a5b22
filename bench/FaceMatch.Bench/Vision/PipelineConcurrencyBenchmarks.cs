using BenchmarkDotNet.Attributes;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;

namespace FaceMatch.Bench.Vision;

/// <summary>
/// Whole-pipeline throughput against the number of frames in flight, to find the best on this machine
/// (<see cref="PipelineBenchmarks"/> breaks the cost down at 1 and 8). Same 640×640 portraits.
/// Run: dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*PipelineConcurrencyBenchmarks*' --job short
/// </summary>
public class PipelineConcurrencyBenchmarks
{
    [Params(1, 2, 4, 8, 16)]
    public int FramesInFlight { get; set; }

    private FaceAnalyzer _analyzer = null!;
    private byte[][] _frames = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = BenchPaths.RepoRoot;
        _analyzer = FaceAnalyzer.CreateAsync(ModelManifest.Load(Path.Combine(root, "models", "manifest.json")), VisionOptions.FromEnvironment())
            .GetAwaiter().GetResult();
        var portraits = PipelineBenchmarks.Portraits(_analyzer, root);
        _frames = Enumerable.Range(0, FramesInFlight).Select(i => portraits[i % portraits.Length]).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _analyzer.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>All frames at once; divide by <see cref="FramesInFlight"/> for the time per frame.</summary>
    [Benchmark(Description = "whole pipeline")]
    public async Task<int> WholePipeline()
    {
        var results = await Task.WhenAll(_frames.Select(f => Task.Run(() => _analyzer.AnalyzeAsync(f))));
        return results.Count(r => r.Embedding is not null);
    }
}
