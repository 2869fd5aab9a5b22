using BenchmarkDotNet.Attributes;
using FaceMatch.Vault;
using FaceMatch.Vault.Storage;

namespace FaceMatch.Bench.Vault;

/// <summary>
/// Template vault throughput: durable puts (protect + seal + upsert + group commit) and gets (read + open),
/// with several concurrent sessions. Each invocation runs <see cref="Operations"/> operations spread over
/// <see cref="Sessions"/> concurrent callers, so the reported time per operation is 1 / throughput.
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*VaultBenchmarks*'
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class VaultBenchmarks
{
    private const int Operations = 2048;
    private const int Preloaded = 20_000;
    private string _directory = "";
    private FaceMatchVault _vault = null!;
    private string _tenant = "";
    private string[] _ids = [];
    private float[][] _vectors = [];

    [Params(1, 16, 64)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "facematch-vault-bench-" + Guid.NewGuid().ToString("N"));
        _vault = FaceMatchVault.OpenAsync(new VaultOptions
        {
            DataDirectory = _directory,
            MasterKeyBase64 = Convert.ToBase64String(new byte[32]),
            UseEnvironmentMasterKey = false,
            Store = new StoreSettings { PageSizeBits = 22, MemorySizeBits = 27, IndexSizeBytes = 1L << 22 },
        }).GetAwaiter().GetResult();
        _tenant = _vault.Tenants.CreateAsync("bench").GetAwaiter().GetResult().TenantId;
        var random = new Random(1);
        _vectors = Enumerable.Range(0, 256).Select(_ => Enumerable.Range(0, 128).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
        _ids = new string[Preloaded];
        Parallel.For(0, Preloaded, new ParallelOptions { MaxDegreeOfParallelism = 64 },
            i => _ids[i] = _vault.Templates.AddAsync(_tenant, _vectors[i % _vectors.Length], "bench").GetAwaiter().GetResult());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vault.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Put() => Run(async (session, i) =>
        await _vault.Templates.AddAsync(_tenant, _vectors[(session * 31 + i) % _vectors.Length], "bench"));

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Get() => Run(async (session, i) =>
    {
        var template = await _vault.Templates.GetAsync(_tenant, _ids[(session * 7919 + i * 104_729) % _ids.Length], markUsed: false);
        if (template is null) throw new InvalidOperationException("preloaded template missing");
    });

    private Task Run(Func<int, int, Task> operation)
    {
        var perSession = Operations / Sessions;
        return Task.WhenAll(Enumerable.Range(0, Sessions).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSession; i++) await operation(s, i);
        })));
    }
}
