using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Gpu;
using Xunit.Abstractions;

namespace FaceMatch.Matching.Tests;

/// <summary>
/// The CUDA scan (native/cuda, libfacematch_cuda.so). Where the library and a GPU are present it must give the CPU's
/// results; where they are not, asking for it must fail with the reason. Which branch ran is written to the output.
/// </summary>
public class CudaSearchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cuda_search_gives_the_cpu_results_or_says_why_it_cannot_run()
    {
        var (gallery, live) = SearchTests.Build(5000, 96, seed: 300);
        using var _ = gallery;
        var rng = new Random(301);
        var cuda = new SearchOptions { Device = SearchDevice.Cuda, Strategy = SearchStrategy.Exact };
        if (!CudaSupport.IsAvailable)
        {
            output.WriteLine($"CUDA path NOT RUN on hardware: {CudaSupport.UnavailableReason}");
            Assert.False(string.IsNullOrEmpty(CudaSupport.UnavailableReason));
            var e = Assert.Throws<NotSupportedException>(() => gallery.Search(TestVectors.Gaussian(rng, 96), 5, cuda));
            Assert.Contains("not available", e.Message);
            return;
        }

        output.WriteLine("CUDA path ran");
        void Compare()
        {
            for (int t = 0; t < 5; t++)
            {
                var queries = Enumerable.Range(0, 3).SelectMany(_ => TestVectors.Gaussian(rng, 96)).ToArray();
                foreach (int k in new[] { 1, 10, 100 })
                {
                    var cpu = gallery.SearchBatch(queries, 3, k, new SearchOptions { Strategy = SearchStrategy.Exact });
                    var gpu = gallery.SearchBatch(queries, 3, k, cuda);
                    for (int q = 0; q < 3; q++)
                    {
                        Assert.Equal(cpu[q].Count, gpu[q].Count);
                        for (int i = 0; i < cpu[q].Count; i++)
                            Assert.True(Math.Abs(cpu[q][i].Score - gpu[q][i].Score) < 1e-5, $"k={k} rank {i}: {cpu[q][i]} vs {gpu[q][i]}");
                    }
                }
            }
        }
        Compare();
        foreach (var (id, _) in live.Where((_, i) => i % 3 == 0)) gallery.Remove(id); // tombstones re-sent
        for (int i = 0; i < 300; i++) gallery.Upsert($"late{i}", TestVectors.Gaussian(rng, 96)); // incremental upload
        Compare();
        await gallery.CompactAsync(); // new store: full re-upload
        Compare();
    }
}
