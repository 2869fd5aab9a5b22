using FaceMatch.Vault.Storage;

namespace FaceMatch.Vault.Tests.Support;

/// <summary>Small-footprint vault options over a temp directory.</summary>
public static class TestVault
{
    public static readonly string MasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static VaultOptions Options(string directory, TimeProvider? clock = null, string? masterKey = null) => new()
    {
        DataDirectory = directory,
        MasterKeyBase64 = masterKey ?? MasterKey,
        UseEnvironmentMasterKey = false,
        Clock = clock ?? TimeProvider.System,
        Store = new StoreSettings { PageSizeBits = 18, MemorySizeBits = 21, IndexSizeBytes = 1 << 16 },
        MaxDevCaptureBytes = 64 * 1024,
    };

    public static Task<FaceMatchVault> OpenAsync(string directory, TimeProvider? clock = null) => FaceMatchVault.OpenAsync(Options(directory, clock));

    public static float[] RandomVector(Random random, int dimension = 128)
    {
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Files under <paramref name="directory"/> (recursively) that contain <paramref name="needle"/>.</summary>
    public static List<string> FilesContaining(string directory, ReadOnlySpan<byte> needle)
    {
        var hits = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            byte[] content;
            // An empty file holds no bytes (and the store's LOCK file is empty and exclusively locked).
            try { if (new FileInfo(file).Length == 0) continue; content = File.ReadAllBytes(file); }
            catch (FileNotFoundException) { continue; }
            if (content.AsSpan().IndexOf(needle) >= 0) hits.Add(file);
        }
        return hits;
    }
}
