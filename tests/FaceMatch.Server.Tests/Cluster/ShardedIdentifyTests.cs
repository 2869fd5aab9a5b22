using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using static FaceMatch.Server.Tests.Cluster.ClusterPhotos;
using FaceMatchClient = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>
/// Identify over sharded galleries, through real `facematch serve` replicas on a loopback store cluster: any replica
/// answers what one process holding the same templates answers, and a change taken by one replica reaches every
/// replica's Identify (how long it takes is measured and printed, not asserted).
/// </summary>
[Collection(ReplicaClusterCollection.Name)]
public sealed class ShardedIdentifyTests(ReplicaClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ReplicaClusterFixture>
{
    private static async Task<string?> EnrolAsync(FaceMatchClient client, string token, string photo)
    {
        var outcome = await SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(token)), new SessionStart(), Still(photo));
        return outcome.Result.Enrolled ? outcome.Result.TemplateId : null;
    }

    private static async Task<IReadOnlyList<Candidate>> IdentifyAsync(FaceMatchClient client, string token, string photo, int topK = 10) =>
        (await SessionDriver.RunAsync(client.Identify(ServiceFixture.As(token)), new SessionStart { TopK = (uint)topK }, Still(photo, 1))).Result.Candidates;

    [Fact]
    public async Task Identify_through_any_replica_returns_the_top_k_of_one_process_holding_the_same_templates()
    {
        var (_, clusterToken) = await cluster.NewTenantAsync(cluster.Replicas[0]);
        var (_, singleToken) = await cluster.NewTenantAsync(cluster.Single);
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var single = new FaceMatchClient(cluster.Channel(cluster.Single));

        // The same photos into both, the cluster's through the replicas in turn; each template is then named by its photo.
        var photoOfCluster = new Dictionary<string, string>();
        var photoOfSingle = new Dictionary<string, string>();
        for (var i = 0; i < Photos.Length; i++)
        {
            var inCluster = await EnrolAsync(replicas[i % replicas.Count], clusterToken, Photos[i]);
            var inSingle = await EnrolAsync(single, singleToken, Photos[i]);
            Assert.Equal(inCluster is null, inSingle is null);   // the same frames pass or fail the same checks
            if (inCluster is null) continue;
            photoOfCluster[inCluster] = Photos[i];
            photoOfSingle[inSingle!] = Photos[i];
        }
        output.WriteLine($"{photoOfCluster.Count} of {Photos.Length} photos enrolled in each");
        Assert.True(photoOfCluster.Count >= 10, "too few templates for a ranking");

        // Wait until every replica's Identify lists every template (the owners applied every notice).
        var all = photoOfCluster.Count;
        await PollAsync(async () =>
        {
            foreach (var replica in replicas)
                if ((await IdentifyAsync(replica, clusterToken, Photos[0], SessionEnding.MaxTopK)).Count < (await IdentifyAsync(single, singleToken, Photos[0], SessionEnding.MaxTopK)).Count)
                    return false;
            return true;
        }, TimeSpan.FromSeconds(60), "every replica listing every template");

        var compared = 0;
        foreach (var probe in Photos.Where((_, i) => i % 3 == 0))
        {
            var expected = (await IdentifyAsync(single, singleToken, probe)).Select(c => (Photo: photoOfSingle[c.TemplateId], c.Score)).ToList();
            for (var r = 0; r < replicas.Count; r++)
            {
                var got = (await IdentifyAsync(replicas[r], clusterToken, probe)).Select(c => (Photo: photoOfCluster[c.TemplateId], c.Score)).ToList();
                Assert.True(expected.Select(e => e.Photo).SequenceEqual(got.Select(g => g.Photo)),
                    $"probe {Path.GetFileName(probe)} through replica {r}: {string.Join(", ", got.Select(g => Path.GetFileName(g.Photo)))}; one process: {string.Join(", ", expected.Select(e => Path.GetFileName(e.Photo)))}");
                foreach (var (e, g) in expected.Zip(got)) Assert.Equal(e.Score, g.Score, 4);
                compared++;
            }
        }
        output.WriteLine($"{compared} top-10 lists compared, every one equal to the single process's");
    }

    [Fact]
    public async Task An_enrolment_and_a_removal_on_one_replica_reach_every_replicas_Identify()
    {
        var (_, token) = await cluster.NewTenantAsync(cluster.Replicas[1]);
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        // A gallery to search in, then the template whose arrival and removal are timed.
        foreach (var photo in Photos.Skip(1).Take(6)) await EnrolAsync(replicas[2], token, photo);
        var photo0 = Photos[0];
        var id = await EnrolAsync(replicas[0], token, photo0) ?? throw new InvalidOperationException("the probe photo did not enrol");
        var enrolled = Stopwatch.StartNew();
        // Each replica polled on its own from the acknowledgement: when its Identify first returns the template.
        var seen = await Task.WhenAll(replicas.Select((replica, r) => TimedPollAsync(enrolled,
            async () => (await IdentifyAsync(replica, token, photo0)).Any(c => c.TemplateId == id), $"replica {r} finding the new template")));
        output.WriteLine($"enrolment acknowledged by replica 0, first found by Identify on replicas 0/1/2: {string.Join(" / ", seen)}");

        var delete = await replicas[1].DeleteTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token));
        Assert.True(delete.Deleted);
        var removed = Stopwatch.StartNew();
        var gone = await Task.WhenAll(replicas.Select((replica, r) => TimedPollAsync(removed,
            async () => !(await IdentifyAsync(replica, token, photo0)).Any(c => c.TemplateId == id), $"replica {r} no longer returning the deleted template")));
        output.WriteLine($"removal acknowledged by replica 1, first gone from Identify on replicas 0/1/2: {string.Join(" / ", gone)}");
    }

    [Fact]
    public async Task The_internal_shard_service_refuses_callers_without_the_peer_token()
    {
        var channel = cluster.Channel(cluster.Replicas[0]);
        var shards = new FaceMatch.Server.Cluster.Internal.GalleryShards.GalleryShardsClient(channel);
        var request = new FaceMatch.Server.Cluster.Internal.ShardSearchRequest { TenantId = "t", Wanted = 1, ShardCount = ReplicaClusterFixture.Shards };
        request.Shards.Add(0);
        var none = await Assert.ThrowsAsync<RpcException>(() => shards.SearchAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var admin = await Assert.ThrowsAsync<RpcException>(() => shards.SearchAsync(request, new Metadata { { "authorization", "Bearer " + cluster.AdminTokenValue } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, admin.StatusCode);
        // And the peer token opens nothing of facematch.v1.
        var peerToken = File.ReadAllText(cluster.PeerTokenFile).Trim();
        var onPublic = await Assert.ThrowsAsync<RpcException>(() => new FaceMatchClient(channel)
            .DeleteTemplateAsync(new TemplateRef { TemplateId = "x" }, ServiceFixture.As(peerToken)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, onPublic.StatusCode);
        // With it, a request that disagrees on the shard count is refused by name.
        request.ShardCount = 3;
        var mismatch = await Assert.ThrowsAsync<RpcException>(() => shards.SearchAsync(request, new Metadata { { "authorization", "Peer " + peerToken } }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, mismatch.StatusCode);
        Assert.Contains("FACEMATCH_GALLERY_SHARDS", mismatch.Status.Detail);
    }

    /// <summary>
    /// Polls until <paramref name="condition"/> holds and says when, as the window it is known to lie in: after the
    /// start of the last Identify that did not see it, and before the end of the first that did (a session takes
    /// hundreds of milliseconds on this machine, so the window is the honest figure).
    /// </summary>
    private static async Task<string> TimedPollAsync(Stopwatch since, Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        double lastMiss = 0;
        while (true)
        {
            var start = since.Elapsed.TotalMilliseconds;
            if (await condition()) return $"{lastMiss:F0}..{since.Elapsed.TotalMilliseconds:F0} ms";
            lastMiss = start;
            if (DateTime.UtcNow > until) throw new TimeoutException($"not within 60 s: {what}");
        }
    }

    internal static async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"not within {timeout}: {what}");
            await Task.Delay(50);
        }
    }
}
