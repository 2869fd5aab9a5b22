using System.Collections.Concurrent;
using System.Net;
using FaceMatch.Server.Cluster;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Vault;
using StackExchange.Redis;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>
/// Heartbeat membership and the gallery notice feed against a real redis-server on loopback: members appear when they
/// join, vanish when their TTL runs out or they leave; versions count per shard; notices arrive sealed, so the store
/// sees no ids, and a replica under another master key cannot read them.
/// </summary>
public sealed class MembershipAndFeedTests(LoopbackRedis redis) : IClassFixture<LoopbackRedis>, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-feed").FullName;
    private FaceMatchVault _a = null!, _b = null!, _stranger = null!;
    private static readonly string SharedKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public async Task InitializeAsync()
    {
        _a = await Open("a", SharedKey);
        _b = await Open("b", SharedKey);
        _stranger = await Open("c", Convert.ToBase64String(new byte[32]));
        await redis.Connection.GetServers()[0].FlushDatabaseAsync();
    }

    private Task<FaceMatchVault> Open(string name, string key) =>
        FaceMatchVault.OpenAsync(new VaultOptions { DataDirectory = Path.Combine(_dir, name), MasterKeyBase64 = key });

    public async Task DisposeAsync()
    {
        foreach (var v in new[] { _a, _b, _stranger }) await v.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Members_appear_on_joining_and_go_when_their_heartbeat_expires_or_they_leave()
    {
        var ttl = TimeSpan.FromSeconds(2);
        var one = new StoreMembership(redis.Connection, "127.0.0.1:1001", ttl);
        var two = new StoreMembership(redis.Connection, "127.0.0.1:1002", ttl);
        Assert.NotEqual(one.Self.Id, two.Self.Id);
        Assert.Empty(await one.LiveAsync(default));

        await one.JoinAsync(default);
        await two.JoinAsync(default);
        var live = await one.LiveAsync(default);
        Assert.Equal(new[] { one.Self, two.Self }.OrderBy(m => m.Id), live.OrderBy(m => m.Id));

        await two.LeaveAsync();
        Assert.Equal([one.Self], await one.LiveAsync(default));

        // No renewal: the key expires and the member is gone (and tidied from the set) for whoever looks next.
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await two.LiveAsync(default)).Count > 0 && DateTime.UtcNow < until) await Task.Delay(200);
        Assert.Empty(await two.LiveAsync(default));
        Assert.Equal(0, await redis.Connection.GetDatabase().SetLengthAsync("{facematch-members}"));
    }

    [Fact]
    public async Task Kubernetes_membership_is_the_service_addresses_and_itself_once_joined()
    {
        IPAddress[] resolved = [IPAddress.Parse("10.0.0.7"), IPAddress.Parse("10.0.0.8")];
        var k8s = new KubernetesMembership("facematch-peers.default.svc", "10.0.0.8:50051", (_, _) => Task.FromResult(resolved));
        Assert.Equal(["10.0.0.7:50051"], (await k8s.LiveAsync(default)).Select(m => m.Address));
        await k8s.JoinAsync(default);
        Assert.Equal(["10.0.0.7:50051", "10.0.0.8:50051"], (await k8s.LiveAsync(default)).Select(m => m.Address).Order());
        var none = new KubernetesMembership("nowhere.invalid", "10.0.0.9:50051", (_, _) => throw new System.Net.Sockets.SocketException());
        Assert.Empty(await none.LiveAsync(default));
    }

    [Fact]
    public async Task Notices_carry_a_per_shard_version_and_reach_every_subscriber_under_the_same_master_key_only()
    {
        var feedA = new RedisGalleryFeed(redis.Connection, _a.Notices);
        var feedB = new RedisGalleryFeed(redis.Connection, _b.Notices);
        var feedStranger = new RedisGalleryFeed(redis.Connection, _stranger.Notices);
        var atB = new ConcurrentQueue<GalleryNotice>();
        var atStranger = new ConcurrentQueue<GalleryNotice>();
        await feedB.SubscribeAsync(n => { atB.Enqueue(n); return Task.CompletedTask; });
        await feedStranger.SubscribeAsync(n => { atStranger.Enqueue(n); return Task.CompletedTask; });
        var raw = new ConcurrentQueue<byte[]>();
        (await redis.Connection.GetSubscriber().SubscribeAsync(RedisGalleryFeed.Channel)).OnMessage(m => raw.Enqueue((byte[])m.Message!));

        var first = await feedA.PublishAsync(new GalleryNotice(NoticeOp.Stored, "tenant-x", 3, "template-1", 0));
        var second = await feedA.PublishAsync(new GalleryNotice(NoticeOp.Removed, "tenant-x", 3, "template-1", 0));
        var other = await feedA.PublishAsync(new GalleryNotice(NoticeOp.Stored, "tenant-x", 5, "template-2", 0));
        Assert.Equal([1L, 2L, 1L], new[] { first.Version, second.Version, other.Version });
        Assert.Equal(new Dictionary<int, long> { [3] = 2, [5] = 1 }, await feedB.VersionsAsync("tenant-x"));

        var until = DateTime.UtcNow.AddSeconds(20);
        while ((atB.Count < 3 || raw.Count < 3) && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.Equal([first, second, other], atB.ToArray());
        Assert.Empty(atStranger);
        // What the store saw: sealed bytes and keyed names, no tenant or template id.
        Assert.All(raw, bytes => Assert.DoesNotContain("template-", System.Text.Encoding.UTF8.GetString(bytes)));
        Assert.All(raw, bytes => Assert.DoesNotContain("tenant-x", System.Text.Encoding.UTF8.GetString(bytes)));
        var keys = redis.Connection.GetServers()[0].Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.DoesNotContain(keys, k => k.Contains("tenant-x"));

        // Deleting the tenant forgets its versions.
        await feedA.PublishAsync(new GalleryNotice(NoticeOp.TenantDeleted, "tenant-x", -1, "", 0));
        Assert.Empty(await feedB.VersionsAsync("tenant-x"));
    }
}
