using FaceMatch.Vault;
using FaceMatch.Vault.Storage;

// Usage: FaceMatch.Vault.CrashHost <data dir> <tenant id> <writers> <max writes>
// Master key from FACEMATCH_MASTER_KEY. Prints "READY", then "ACK <template id> <seed>" for every write the
// vault acknowledged, flushed line by line, until killed or <max writes> are done ("DONE").
if (args.Length != 4 || !int.TryParse(args[2], out var writers) || !int.TryParse(args[3], out var maxWrites))
{
    Console.Error.WriteLine("usage: FaceMatch.Vault.CrashHost <data dir> <tenant id> <writers> <max writes>");
    return 2;
}
var (dataDirectory, tenantId) = (args[0], args[1]);
var options = new VaultOptions
{
    DataDirectory = dataDirectory,
    Store = new StoreSettings { PageSizeBits = 18, MemorySizeBits = 21, IndexSizeBytes = 1 << 16 },
    MaxDevCaptureBytes = 64 * 1024,
};
await using var vault = await FaceMatchVault.OpenAsync(options);
var output = Console.Out;
var gate = new object();
lock (gate) { output.WriteLine("READY"); output.Flush(); }
var next = -1;
var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var seed = Interlocked.Increment(ref next);
        if (seed >= maxWrites) return;
        var vector = CrashVectors.For(seed);
        var id = await vault.Templates.AddAsync(tenantId, vector, "crash-test");
        lock (gate) { output.WriteLine($"ACK {id} {seed}"); output.Flush(); }
    }
})).ToArray();
await Task.WhenAll(tasks);
lock (gate) { output.WriteLine("DONE"); output.Flush(); }
return 0;

/// <summary>The vector written for a seed; the test rebuilds it to check what was recovered.</summary>
internal static class CrashVectors
{
    public static float[] For(int seed)
    {
        var random = new Random(seed);
        var v = new float[128];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
