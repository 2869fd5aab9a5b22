using System.Collections;
using FaceMatch.Server.Hosting;
using FaceMatch.Vault.Tenants;

namespace FaceMatch.Server.Services;

/// <summary>How the server's tenant galleries are built: storage where a tenant's policy sets none, and the index threshold.</summary>
public sealed record GalleryDefaults
{
    public const string StorageVariable = "FACEMATCH_GALLERY_STORAGE";
    public const string IndexThresholdVariable = "FACEMATCH_INDEX_THRESHOLD";

    /// <summary>Storage of a tenant whose policy leaves it unspecified: Float32 or Int8.</summary>
    public GalleryStorage Storage { get; init; } = GalleryStorage.Float32;

    /// <summary>Templates at which a tenant's gallery builds its approximate index (0 = never).</summary>
    public int IndexThreshold { get; init; } = 200_000;

    public static GalleryDefaults FromVariables(IDictionary variables)
    {
        var storage = SettingValue.Text(variables, StorageVariable)?.ToLowerInvariant() switch
        {
            null or "float32" => GalleryStorage.Float32,
            "int8" => GalleryStorage.Int8,
            var other => throw new ArgumentException($"{StorageVariable}='{other}' is not float32 or int8."),
        };
        return new GalleryDefaults
        {
            Storage = storage,
            IndexThreshold = SettingValue.Int(variables, IndexThresholdVariable, 200_000, 0, 100_000_000),
        };
    }
}
