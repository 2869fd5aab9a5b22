using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.DevCaptures;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Storage.Cluster;
using FaceMatch.Vault.Templates;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tokens;
using FaceMatch.Vault.Usage;

namespace FaceMatch.Vault;

/// <summary>
/// Everything FaceMatch persists, in one FASTER store under <c>&lt;data&gt;/vault</c> (or, with
/// <see cref="VaultOptions.Cluster"/>, on a Redis-protocol store cluster shared by several servers): tenants and tokens (sealed
/// under the system key), and per tenant, sealed under the tenant's own data key, templates, development
/// captures, usage records and counters. Every mutating call returns only once its write is durable.
/// </summary>
public sealed class FaceMatchVault : IAsyncDisposable
{
    public const string StoreDirectoryName = "vault";

    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly ChangeNotifier _changes = new();

    private FaceMatchVault(VaultOptions options, IRecordStore store, KeyRing keys)
    {
        Options = options;
        _store = store;
        _keys = keys;
        Tenants = new TenantStore(store, keys, options.Clock, _changes);
        Tokens = new TokenStore(store, keys, Tenants, options.Clock);
        Usage = new UsageStore(store, keys, Tenants, options.Clock, options.DeviceKeyRotationDays);
        Templates = new TemplateStore(store, keys, Tenants, Usage, options.Clock, options, _changes);
        DevCaptures = new DevCaptureStore(store, keys, Tenants, Tokens, options.Clock, options);
    }

    public VaultOptions Options { get; }
    public TenantStore Tenants { get; }
    public TokenStore Tokens { get; }
    public TemplateStore Templates { get; }
    public DevCaptureStore DevCaptures { get; }
    public UsageStore Usage { get; }

    /// <summary>
    /// Registers a listener for every template added, replaced or removed and every tenant deleted (see
    /// <see cref="ITemplateListener"/> for when each call arrives). Register before loading galleries with
    /// <see cref="TemplateStore.EnumerateAll"/>. Dispose the result to unregister.
    /// </summary>
    public IDisposable AddListener(ITemplateListener listener) => _changes.Add(listener);

    internal IRecordStore Store => _store;

    /// <summary>
    /// The store cluster's connection when the vault runs on one (null when embedded), for what the servers share
    /// beside the vault's records (membership, change messages). Keys written there must not start with a byte
    /// the vault uses as a record type (0x01..0x1F, 0xFF): any printable prefix is safe.
    /// </summary>
    public StackExchange.Redis.IConnectionMultiplexer? ClusterConnection => (_store as ClusterStore)?.Connection;

    /// <summary>Which engine the store cluster runs (null when embedded).</summary>
    public ClusterEngine? ClusterEngine => (_store as ClusterStore)?.Engine;
    internal KeyRing Keys => _keys;

    /// <summary>Opens the vault in <see cref="VaultOptions.DataDirectory"/>, recovering the last durable state.</summary>
    public static async Task<FaceMatchVault> OpenAsync(VaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var configured = options.MasterKeyBase64
            ?? (options.UseEnvironmentMasterKey ? Environment.GetEnvironmentVariable(MasterKeySource.EnvironmentVariable) : null);
        var masterKey = MasterKeySource.Load(options.DataDirectory, configured);
        IRecordStore? store = null;
        try
        {
            store = options.Cluster is { } cluster
                ? await ClusterStore.OpenAsync(cluster).ConfigureAwait(false)
                : await FasterStore.OpenAsync(Path.Combine(options.DataDirectory, StoreDirectoryName), options.Store).ConfigureAwait(false);
            var keys = await KeyRing.OpenAsync(store, masterKey).ConfigureAwait(false);
            return new FaceMatchVault(options, store, keys);
        }
        catch
        {
            if (store is not null) await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally { Array.Clear(masterKey); }
    }

    /// <summary>
    /// Rewrites the log so that no file in the data directory holds a byte of a deleted, expired or superseded
    /// record. Runs alongside reads and writes; waits for running enumerations to finish first. On a store cluster:
    /// the engine's own compaction on every node (see <see cref="ClusterCompaction"/>).
    /// </summary>
    public async Task CompactAsync() => await _store.CompactAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync().ConfigureAwait(false);
        _keys.Dispose();
    }
}
