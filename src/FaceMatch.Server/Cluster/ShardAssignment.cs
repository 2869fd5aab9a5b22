using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;

namespace FaceMatch.Server.Cluster;

/// <summary>A live replica: a stable id for its whole life (hashed for ownership) and where its shard service answers.</summary>
public sealed record ReplicaMember(string Id, string Address);

/// <summary>Which shard of its tenant's gallery a template is in: a stable hash of its id, the same in every replica.</summary>
public static class GalleryShard
{
    public static int Of(string templateId, int shards)
    {
        if (shards == 1) return 0;
        return (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(templateId)) % (ulong)shards);
    }
}

/// <summary>
/// Who owns each (tenant, shard): of the live members, the one whose hash of (member id, tenant, shard) is highest
/// (rendezvous hashing). A member leaving moves only the shards it owned, each to the member that was second for it;
/// a member joining takes from the others only the shards it now ranks first for. Every replica with the same view
/// of the membership computes the same owners, without talking to the others.
/// </summary>
public sealed class ShardAssignment
{
    private readonly ReplicaMember[] _members;
    private readonly ulong[] _memberSeeds;
    private readonly ConcurrentDictionary<string, ReplicaMember[]> _owners = new(StringComparer.Ordinal);

    public ShardAssignment(IEnumerable<ReplicaMember> members, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        _members = members.DistinctBy(m => m.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToArray();
        _memberSeeds = _members.Select(m => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(m.Id))).ToArray();
        Shards = shards;
    }

    public int Shards { get; }
    public IReadOnlyList<ReplicaMember> Members => _members;

    /// <summary>The owner of each shard of the tenant's gallery (index = shard), or null entries when no member is alive.</summary>
    public IReadOnlyList<ReplicaMember?> OwnersOf(string tenantId)
    {
        if (_members.Length == 0) return new ReplicaMember?[Shards];
        // Cached per tenant: an assignment lives until the membership changes, and Identify asks on every call.
        if (_owners.Count > 100_000) _owners.Clear();
        return _owners.GetOrAdd(tenantId, Compute);
    }

    public ReplicaMember? OwnerOf(string tenantId, int shard) => OwnersOf(tenantId)[shard];

    /// <summary>The shards of the tenant that <paramref name="memberId"/> owns.</summary>
    public IEnumerable<int> ShardsOf(string memberId, string tenantId)
    {
        var owners = OwnersOf(tenantId);
        for (var shard = 0; shard < owners.Count; shard++)
            if (owners[shard]?.Id == memberId) yield return shard;
    }

    public bool SameMembers(ShardAssignment other) =>
        other.Shards == Shards && other._members.Length == _members.Length && other._members.SequenceEqual(_members);

    private ReplicaMember[] Compute(string tenantId)
    {
        var tenantSeed = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(tenantId));
        var owners = new ReplicaMember[Shards];
        for (var shard = 0; shard < Shards; shard++)
        {
            var best = 0;
            var bestScore = 0UL;
            for (var m = 0; m < _members.Length; m++)
            {
                var score = Score(_memberSeeds[m], tenantSeed, shard);
                // Ties (astronomically rare) go to the smaller id, the same in every replica since members are sorted.
                if (m == 0 || score > bestScore) { best = m; bestScore = score; }
            }
            owners[shard] = _members[best];
        }
        return owners;
    }

    /// <summary>The rendezvous weight: a full 64-bit mix of the three, so no member is favoured for any tenant.</summary>
    private static ulong Score(ulong member, ulong tenant, int shard)
    {
        Span<byte> input = stackalloc byte[20];
        BinaryPrimitives.WriteUInt64LittleEndian(input, member);
        BinaryPrimitives.WriteUInt64LittleEndian(input[8..], tenant);
        BinaryPrimitives.WriteInt32LittleEndian(input[16..], shard);
        return XxHash64.HashToUInt64(input);
    }
}
