using FaceMatch.Server.Cluster;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>Rendezvous ownership of (tenant, shard): the same in every replica, balanced, and moving as little as it can.</summary>
public sealed class ShardAssignmentTests
{
    private const int Shards = 16;
    private static readonly string[] Tenants = [.. Enumerable.Range(0, 200).Select(i => $"tenant-{i:D3}")];

    private static ReplicaMember Member(int i) => new($"m{i:x8}", $"127.0.0.1:{50000 + i}");

    private static Dictionary<(string, int), string> Owners(ShardAssignment assignment) =>
        Tenants.SelectMany(t => assignment.OwnersOf(t).Select((o, s) => ((t, s), o!.Id))).ToDictionary();

    [Fact]
    public void Every_replica_with_the_same_view_computes_the_same_owners_whatever_the_order_it_lists_them_in()
    {
        var members = Enumerable.Range(0, 5).Select(Member).ToList();
        var a = Owners(new ShardAssignment(members, Shards));
        var b = Owners(new ShardAssignment(Enumerable.Reverse(members), Shards));
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_member_leaving_moves_only_the_shards_it_owned()
    {
        var members = Enumerable.Range(0, 4).Select(Member).ToList();
        var before = Owners(new ShardAssignment(members, Shards));
        var leaving = members[2];
        var after = Owners(new ShardAssignment(members.Where(m => m != leaving), Shards));
        var moved = before.Where(kv => after[kv.Key] != kv.Value).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, kv => Assert.Equal(leaving.Id, kv.Value));
        Assert.Equal(before.Count(kv => kv.Value == leaving.Id), moved.Count);
        Assert.DoesNotContain(leaving.Id, after.Values);
    }

    [Fact]
    public void A_member_joining_takes_shards_from_the_others_and_nothing_else_moves()
    {
        var members = Enumerable.Range(0, 3).Select(Member).ToList();
        var before = Owners(new ShardAssignment(members, Shards));
        var joining = Member(9);
        var after = Owners(new ShardAssignment([.. members, joining], Shards));
        var moved = before.Where(kv => after[kv.Key] != kv.Value).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, kv => Assert.Equal(joining.Id, after[kv.Key]));
    }

    [Fact]
    public void Ownership_is_spread_evenly_over_the_members()
    {
        var members = Enumerable.Range(0, 3).Select(Member).ToList();
        var owners = Owners(new ShardAssignment(members, Shards));
        var expected = owners.Count / 3.0;
        foreach (var member in members)
        {
            var share = owners.Values.Count(id => id == member.Id);
            Assert.InRange(share, expected * 0.85, expected * 1.15);
        }
    }

    [Fact]
    public void A_shard_of_each_tenant_goes_to_different_members_so_one_tenant_is_not_pinned_to_one_replica()
    {
        var assignment = new ShardAssignment(Enumerable.Range(0, 3).Select(Member), Shards);
        Assert.All(Tenants, t => Assert.True(assignment.OwnersOf(t).Select(o => o!.Id).Distinct().Count() > 1, t));
    }

    [Fact]
    public void No_live_member_means_no_owner()
    {
        var assignment = new ShardAssignment([], Shards);
        Assert.All(assignment.OwnersOf("t"), Assert.Null);
    }

    [Fact]
    public void A_template_lands_in_the_same_shard_every_time_and_templates_spread_over_all_shards()
    {
        var ids = Enumerable.Range(0, 4000).Select(_ => FaceMatch.Vault.OpaqueId.New().ToString()).ToList();
        Assert.All(ids, id => Assert.Equal(GalleryShard.Of(id, Shards), GalleryShard.Of(new string(id.AsSpan()), Shards)));
        var counts = ids.GroupBy(id => GalleryShard.Of(id, Shards)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Shards, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 4000 / Shards * 0.7, 4000 / Shards * 1.3));
        // A fixed id's shard is a property of the hash, not of the process: replicas built apart must agree.
        Assert.Equal(GalleryShard.Of("fixed-template-id", 16), GalleryShard.Of("fixed-template-id", 16));
        Assert.All(ids, id => Assert.Equal(0, GalleryShard.Of(id, 1)));
    }

    [Fact]
    public void Shards_of_a_member_are_the_ones_it_owns()
    {
        var members = Enumerable.Range(0, 3).Select(Member).ToList();
        var assignment = new ShardAssignment(members, Shards);
        foreach (var tenant in Tenants.Take(10))
        {
            var all = members.SelectMany(m => assignment.ShardsOf(m.Id, tenant)).Order().ToList();
            Assert.Equal(Enumerable.Range(0, Shards), all);
        }
    }
}
