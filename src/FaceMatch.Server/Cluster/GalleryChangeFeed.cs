using FaceMatch.Vault.Changes;
using StackExchange.Redis;

namespace FaceMatch.Server.Cluster;

/// <summary>How replicas tell each other of gallery changes, and the per-shard versions that let one catch up.</summary>
public interface IGalleryFeed
{
    /// <summary>
    /// Bumps the shard's version (Stored and Removed notices) and publishes the notice with it; returns the notice as
    /// published. Once this returns the change is countable by every replica (see <see cref="VersionsAsync"/>).
    /// </summary>
    Task<GalleryNotice> PublishAsync(GalleryNotice notice);

    /// <summary>The current version of each of the tenant's shards (absent: 0).</summary>
    Task<IReadOnlyDictionary<int, long>> VersionsAsync(string tenantId);

    /// <summary>Calls <paramref name="handler"/> with every notice any replica publishes, one at a time, in arrival order.</summary>
    Task SubscribeAsync(Func<GalleryNotice, Task> handler);
}

/// <summary>
/// The feed on the store: versions in one hash per tenant (<c>facematch:gv:{name}</c>, a field per shard, HINCRBY),
/// notices on the channel <c>facematch:gallery-notices</c> (PUBLISH, which a Redis cluster delivers on every node).
/// Notices are sealed and the hash is named by a keyed hash of the tenant id (<see cref="NoticeSeal"/>), so the store
/// sees neither tenant nor template ids; an unsealable message (another deployment's key) is dropped.
/// </summary>
public sealed class RedisGalleryFeed(IConnectionMultiplexer store, NoticeSeal seal) : IGalleryFeed
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("facematch:gallery-notices");

    private RedisKey VersionsKey(string tenantId) => $"facematch:gv:{{{seal.Name(tenantId)}}}";

    public async Task<GalleryNotice> PublishAsync(GalleryNotice notice)
    {
        var db = store.GetDatabase();
        var published = notice;
        if (notice.Op is NoticeOp.Stored or NoticeOp.Removed)
            published = notice with { Version = await db.HashIncrementAsync(VersionsKey(notice.TenantId), notice.Shard).ConfigureAwait(false) };
        else if (notice.Op == NoticeOp.TenantDeleted)
            await db.KeyDeleteAsync(VersionsKey(notice.TenantId)).ConfigureAwait(false);
        await store.GetSubscriber().PublishAsync(Channel, seal.Seal(published.Encode())).ConfigureAwait(false);
        return published;
    }

    public async Task<IReadOnlyDictionary<int, long>> VersionsAsync(string tenantId)
    {
        var entries = await store.GetDatabase().HashGetAllAsync(VersionsKey(tenantId)).ConfigureAwait(false);
        var versions = new Dictionary<int, long>(entries.Length);
        foreach (var entry in entries)
            if (int.TryParse(entry.Name.ToString(), out var shard) && entry.Value.TryParse(out long version)) versions[shard] = version;
        return versions;
    }

    public async Task SubscribeAsync(Func<GalleryNotice, Task> handler)
    {
        var queue = await store.GetSubscriber().SubscribeAsync(Channel).ConfigureAwait(false);
        queue.OnMessage(async message =>
        {
            if (seal.TryOpen((byte[])message.Message!) is not { } plaintext) return;
            if (GalleryNotice.Decode(plaintext) is not { } notice) return;
            await handler(notice).ConfigureAwait(false);
        });
    }
}
