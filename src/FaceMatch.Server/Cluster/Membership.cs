using System.Net;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace FaceMatch.Server.Cluster;

/// <summary>
/// Where a replica learns who else is alive. <see cref="JoinAsync"/> makes this replica visible (after it loaded the
/// shards it will own); <see cref="OthersAsync"/> is what the others see of each other.
/// </summary>
public interface IMembershipSource
{
    ReplicaMember Self { get; }

    /// <summary>Announces (or renews) this replica as alive; called every heartbeat once joined.</summary>
    Task JoinAsync(CancellationToken cancellationToken);

    /// <summary>The live members, this one included once joined.</summary>
    Task<IReadOnlyList<ReplicaMember>> LiveAsync(CancellationToken cancellationToken);

    /// <summary>Withdraws this replica at once (a graceful stop), so its shards move before its TTL runs out.</summary>
    Task LeaveAsync();
}

/// <summary>
/// Membership from heartbeat keys in the store: each replica renews <c>{facematch-members}:&lt;id&gt;</c> (value: its
/// address) with a TTL and lists its id in the set <c>{facematch-members}</c>; a member is alive while its key is.
/// The hash tag keeps the set and the keys in one cluster slot, so one MGET reads them all.
/// </summary>
public sealed class StoreMembership(IConnectionMultiplexer store, string address, TimeSpan ttl) : IMembershipSource
{
    private static readonly RedisKey Set = "{facematch-members}";
    private static RedisKey KeyOf(string id) => $"{{facematch-members}}:{id}";

    /// <summary>A fresh id per process: a restarted replica is a new member, its old heartbeat simply expires.</summary>
    public ReplicaMember Self { get; } = new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), address);

    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        var db = store.GetDatabase();
        await db.StringSetAsync(KeyOf(Self.Id), Self.Address, ttl).ConfigureAwait(false);
        await db.SetAddAsync(Set, Self.Id).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReplicaMember>> LiveAsync(CancellationToken cancellationToken)
    {
        var db = store.GetDatabase();
        var ids = (await db.SetMembersAsync(Set).ConfigureAwait(false)).Select(v => v.ToString()).ToArray();
        if (ids.Length == 0) return [];
        var addresses = await db.StringGetAsync(ids.Select(KeyOf).ToArray()).ConfigureAwait(false);
        var live = new List<ReplicaMember>(ids.Length);
        var expired = new List<RedisValue>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (addresses[i].IsNull) expired.Add(ids[i]);
            else live.Add(new ReplicaMember(ids[i], addresses[i].ToString()));
        }
        // Whoever notices a dead member's key gone tidies the set; a member that renews re-adds itself.
        if (expired.Count > 0) await db.SetRemoveAsync(Set, expired.ToArray()).ConfigureAwait(false);
        return live;
    }

    public async Task LeaveAsync()
    {
        var db = store.GetDatabase();
        await db.KeyDeleteAsync(KeyOf(Self.Id)).ConfigureAwait(false);
        await db.SetRemoveAsync(Set, Self.Id).ConfigureAwait(false);
    }
}

/// <summary>
/// Membership from a Kubernetes headless Service: its DNS name resolves to the addresses of the pods that are ready,
/// each one a member (id and address: ip:port). A pod turns ready once it loaded its shards, so it joins then; this
/// replica counts itself in once it has joined, before its own record is published.
/// </summary>
public sealed class KubernetesMembership(string service, string selfAddress, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) : IMembershipSource
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;
    private readonly int _port = int.Parse(selfAddress[(selfAddress.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    private volatile bool _joined;

    public ReplicaMember Self { get; } = new(selfAddress, selfAddress);

    public Task JoinAsync(CancellationToken cancellationToken)
    {
        _joined = true;
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<ReplicaMember>> LiveAsync(CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try { addresses = await _resolve(service, cancellationToken).ConfigureAwait(false); }
        catch (System.Net.Sockets.SocketException) { addresses = []; }   // no ready pod yet: the name does not resolve
        var members = addresses.Select(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{_port}" : $"{ip}:{_port}")
            .Where(a => a != Self.Address).Select(a => new ReplicaMember(a, a)).ToList();
        if (_joined) members.Add(Self);
        return members;
    }

    public Task LeaveAsync()
    {
        _joined = false;
        return Task.CompletedTask;
    }
}
