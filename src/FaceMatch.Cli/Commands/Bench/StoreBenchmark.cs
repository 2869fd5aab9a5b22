using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Vault;
using FaceMatch.Vault.Storage.Cluster;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>What `facematch bench store` runs.</summary>
internal sealed record StoreBenchConfig
{
    /// <summary>Store clusters to measure besides the embedded store: null measures the embedded one only.</summary>
    public ClusterStoreSettings? Cluster { get; init; }
    public bool Embedded { get; init; } = true;
    public int Enrolments { get; init; } = 400;
    public int Concurrency { get; init; } = 4;
    public int Dim { get; init; } = 512;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// The vault's part of an enrolment and an authentication, on the embedded FASTER store and on a store cluster:
/// enrol = protect (rotate), seal and write a template and its usage counters, then commit (a FASTER checkpoint;
/// on the cluster the primaries' fsync and a replica's WAIT confirmation); authenticate = read and open one
/// template. <see cref="StoreBenchConfig.Concurrency"/> callers at once, as concurrent sessions would be. Models
/// are left out on purpose: they cost the same whichever store, and would hide the difference.
/// </summary>
internal static class StoreBenchmark
{
    public static void Run(StoreBenchConfig c, Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("benchmark", "store");
        json.WriteNumber("enrolments", c.Enrolments);
        json.WriteNumber("concurrency", c.Concurrency);
        json.WriteNumber("dim", c.Dim);
        json.WriteNumber("cores", Environment.ProcessorCount);
        json.WriteStartArray("stores");
        if (c.Embedded) Measure("embedded", null, c, json);
        if (c.Cluster is { } cluster) Measure($"cluster (replica acks {cluster.ReplicaAcks})", cluster, c, json);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Measure(string name, ClusterStoreSettings? cluster, StoreBenchConfig c, Utf8JsonWriter json)
    {
        var data = Directory.CreateTempSubdirectory("fm-bench-store").FullName;
        try
        {
            var options = new VaultOptions
            {
                DataDirectory = data,
                MasterKeyBase64 = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray()),
                UseEnvironmentMasterKey = false,
                Cluster = cluster,
            };
            var (enrol, authenticate, seconds) = RunAsync(options, c).GetAwaiter().GetResult();
            json.WriteStartObject();
            json.WriteString("store", name);
            Write(json, "enrol", enrol, seconds.Enrol);
            Write(json, "authenticate", authenticate, seconds.Authenticate);
            json.WriteEndObject();
        }
        finally { Directory.Delete(data, recursive: true); }
    }

    private static async Task<(double[] Enrol, double[] Authenticate, (double Enrol, double Authenticate) Seconds)> RunAsync(VaultOptions options, StoreBenchConfig c)
    {
        await using var vault = await FaceMatchVault.OpenAsync(options);
        var tenant = (await vault.Tenants.CreateAsync("bench " + Guid.NewGuid().ToString("N")[..8])).TenantId;
        var vectors = new RandomEmbeddings(c.Seed);
        var embeddings = Enumerable.Range(0, c.Enrolments).Select(_ => { var v = new float[c.Dim]; vectors.NextUnit(v); return v; }).ToArray();
        // Warm-up: JIT, connections, the first checkpoints.
        for (var i = 0; i < 20; i++) await vault.Templates.GetAsync(tenant, await vault.Templates.AddAsync(tenant, embeddings[i], "bench"), markUsed: false);

        var ids = new string[c.Enrolments];
        var enrol = new double[c.Enrolments];
        var clock = Stopwatch.StartNew();
        await Parallel(c, async i =>
        {
            var start = Stopwatch.GetTimestamp();
            ids[i] = await vault.Templates.AddAsync(tenant, embeddings[i], "bench");
            enrol[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
        var enrolSeconds = clock.Elapsed.TotalSeconds;

        var authenticate = new double[c.Enrolments];
        clock.Restart();
        await Parallel(c, async i =>
        {
            var start = Stopwatch.GetTimestamp();
            if (await vault.Templates.GetAsync(tenant, ids[i]) is null) throw new InvalidOperationException("an enrolled template was not found");
            authenticate[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
        var authenticateSeconds = clock.Elapsed.TotalSeconds;
        await vault.Tenants.DeleteAsync(tenant);
        return (enrol, authenticate, (enrolSeconds, authenticateSeconds));
    }

    private static Task Parallel(StoreBenchConfig c, Func<int, Task> call)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, c.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < c.Enrolments) await call(i);
        })));
    }

    private static void Write(Utf8JsonWriter json, string name, double[] latenciesMs, double seconds)
    {
        var sorted = latenciesMs.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        json.WriteStartObject(name);
        json.WriteNumber("ops_per_s", Math.Round(sorted.Length / seconds, 1));
        json.WriteNumber("mean_ms", Math.Round(sorted.Average(), 3));
        json.WriteNumber("p50_ms", Math.Round(At(0.50), 3));
        json.WriteNumber("p90_ms", Math.Round(At(0.90), 3));
        json.WriteNumber("p99_ms", Math.Round(At(0.99), 3));
        json.WriteNumber("max_ms", Math.Round(sorted[^1], 3));
        json.WriteEndObject();
    }
}
