using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using FaceMatch.Vault;
using FaceMatch.Vault.Storage.Cluster;
using static FaceMatch.Server.Tests.Cluster.ClusterPhotos;
using FaceMatchClient = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;
using GalleryStorage = FaceMatch.Api.V1.GalleryStorage;
using LivenessMode = FaceMatch.Api.V1.LivenessMode;
using Policy = FaceMatch.Api.V1.Policy;
using VaultGalleryStorage = FaceMatch.Vault.Tenants.GalleryStorage;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>
/// Identify and the duplicate sweep over sharded galleries, through real `facematch serve` replicas on a loopback store
/// cluster: any replica answers what one process holding the same templates answers, a change taken by one replica
/// reaches every replica's Identify (how long it takes is measured and printed, not asserted), and the usage counters
/// that every replica updates count every call.
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

    /// <summary>
    /// The same photos enrolled into a tenant of the cluster (through the replicas in turn) and one of the single
    /// process, each template named by its photo; ready once every replica's Identify lists every template.
    /// </summary>
    private sealed record Mirrored(string ClusterTenant, string ClusterToken, string SingleTenant, string SingleToken,
        Dictionary<string, string> PhotoOfCluster, Dictionary<string, string> PhotoOfSingle);

    private Task<Mirrored> MirroredAsync() => cluster.SharedAsync("mirrored", async () =>
    {
        var (clusterTenant, clusterToken) = await cluster.NewTenantAsync(cluster.Replicas[0]);
        var (singleTenant, singleToken) = await cluster.NewTenantAsync(cluster.Single);
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var single = new FaceMatchClient(cluster.Channel(cluster.Single));
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
        Assert.True(photoOfCluster.Count >= 10, "too few templates for a ranking");

        // Wait until every replica's Identify lists every template (the owners applied every notice).
        await PollAsync(async () =>
        {
            foreach (var replica in replicas)
                if ((await IdentifyAsync(replica, clusterToken, Photos[0], SessionEnding.MaxTopK)).Count < (await IdentifyAsync(single, singleToken, Photos[0], SessionEnding.MaxTopK)).Count)
                    return false;
            return true;
        }, TimeSpan.FromSeconds(60), "every replica listing every template");
        return new Mirrored(clusterTenant, clusterToken, singleTenant, singleToken, photoOfCluster, photoOfSingle);
    });

    [Fact]
    public async Task Identify_through_any_replica_returns_the_top_k_of_one_process_holding_the_same_templates()
    {
        var mirrored = await MirroredAsync();
        var (clusterToken, singleToken, photoOfCluster, photoOfSingle) = (mirrored.ClusterToken, mirrored.SingleToken, mirrored.PhotoOfCluster, mirrored.PhotoOfSingle);
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var single = new FaceMatchClient(cluster.Channel(cluster.Single));
        output.WriteLine($"{photoOfCluster.Count} of {Photos.Length} photos enrolled in each");

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
    public async Task FindDuplicates_through_any_replica_streams_the_pairs_of_one_process_holding_the_same_templates()
    {
        var mirrored = await MirroredAsync();
        // Every pair first (a threshold below any score these faces give), then a threshold halfway between two
        // neighbouring scores near the median, so about half the pairs count and no score sits near the line.
        var everything = await SweepAsync(cluster.Single, mirrored.SingleTenant, 0.01f, mirrored.PhotoOfSingle);
        var scores = everything.Values.Order().ToList();
        Assert.True(scores.Count >= 20, $"only {scores.Count} pairs above 0.01");
        var median = scores.Count / 2;
        while (median + 1 < scores.Count && scores[median + 1] - scores[median] < 1e-3f) median++;
        Assert.True(median + 1 < scores.Count, "no gap of 0.001 between the scores above the median");
        var threshold = (scores[median] + scores[median + 1]) / 2;
        var expected = await SweepAsync(cluster.Single, mirrored.SingleTenant, threshold, mirrored.PhotoOfSingle);
        Assert.InRange(expected.Count, 1, scores.Count - 1);
        output.WriteLine($"{mirrored.PhotoOfSingle.Count} templates, {scores.Count} pairs; at {threshold:F4}, {expected.Count} pairs");

        for (var r = 0; r < cluster.Replicas.Count; r++)
        {
            var got = await SweepAsync(cluster.Replicas[r], mirrored.ClusterTenant, threshold, mirrored.PhotoOfCluster);
            Assert.True(expected.Keys.ToHashSet().SetEquals(got.Keys),
                $"replica {r}: {got.Count} pairs, {got.Keys.Except(expected.Keys).Count()} not in the single process's, {expected.Keys.Except(got.Keys).Count()} missing");
            foreach (var (pair, score) in expected) Assert.Equal(score, got[pair], 4);
        }
        // Each sweep counted once in the tenant's usage, whichever replica ran it.
        var usage = await new Admin.AdminClient(cluster.Channel(cluster.Replicas[1]))
            .GetUsageAsync(new GetUsageRequest { TenantId = mirrored.ClusterTenant }, ServiceFixture.As(cluster.AdminTokenValue));
        Assert.Equal((ulong)cluster.Replicas.Count, usage.DuplicateSweeps);
    }

    /// <summary>The pairs of one sweep, each named by its two photos (in ordinal order), with its score.</summary>
    private async Task<Dictionary<(string, string), float>> SweepAsync(ServeProcess through, string tenantId, float threshold, Dictionary<string, string> photoOf)
    {
        var admin = new Admin.AdminClient(cluster.Channel(through));
        using var call = admin.FindDuplicates(new FindDuplicatesRequest { TenantId = tenantId, Threshold = threshold }, ServiceFixture.As(cluster.AdminTokenValue));
        var pairs = new Dictionary<(string, string), float>();
        FindDuplicatesResponse? last = null;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            foreach (var pair in message.Pairs)
            {
                var (a, b) = (photoOf[pair.TemplateIdA], photoOf[pair.TemplateIdB]);
                Assert.True(pairs.TryAdd(string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a), pair.Score), "a pair streamed twice");
            }
            last = message;
        }
        Assert.True(last?.Done, "the stream ended without its last message");
        Assert.Equal((ulong)photoOf.Count, last!.TemplatesTotal);
        Assert.Equal((ulong)pairs.Count, last.PairsFound);
        return pairs;
    }

    [Fact]
    public async Task Usage_counts_every_call_that_three_replicas_take_at_once_for_one_tenant()
    {
        var (tenantId, token) = await cluster.NewTenantAsync(cluster.Replicas[0]);
        var (a, b) = (Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(Photos[0])), Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(Photos[1])));
        const int WorkersPerReplica = 2, Compares = 4, Enrolments = 2;
        var enrolled = 0;
        // Two workers a replica, each a few Compare calls and enrolment sessions, all at once: every one of them
        // updates the tenant's one counter record through its replica.
        await Task.WhenAll(cluster.Replicas.SelectMany(replica => Enumerable.Range(0, WorkersPerReplica).Select(w => Task.Run(async () =>
        {
            var client = new FaceMatchClient(cluster.Channel(replica));
            for (var i = 0; i < Compares; i++)
                await client.CompareAsync(new CompareRequest { ImageA = a, ImageB = b }, ServiceFixture.As(token));
            for (var i = 0; i < Enrolments; i++)
                if (await EnrolAsync(client, token, Photos[2 + (w + i) % (Photos.Length - 2)]) is not null) Interlocked.Increment(ref enrolled);
        }))));
        var workers = (ulong)(cluster.Replicas.Count * WorkersPerReplica);

        // A session's usage is written just after its result is sent: wait for the last ones, then every replica reads
        // the same exact counts.
        var admin = cluster.Replicas.Select(r => new Admin.AdminClient(cluster.Channel(r))).ToList();
        Usage Read(int r) => admin[r].GetUsage(new GetUsageRequest { TenantId = tenantId }, ServiceFixture.As(cluster.AdminTokenValue));
        try { await PollAsync(() => Task.FromResult(Read(0).Sessions >= workers * Enrolments), TimeSpan.FromSeconds(10), "every session counted"); }
        catch (TimeoutException) { }
        for (var r = 0; r < admin.Count; r++)
        {
            var usage = Read(r);
            Assert.Equal(workers * Compares, usage.Compares);
            Assert.Equal(workers * Enrolments, usage.Enrollments);
            Assert.Equal(workers * Enrolments, usage.Sessions);
            Assert.Equal((ulong)enrolled, usage.Templates);
        }
        output.WriteLine($"{workers * Compares} compares and {workers * Enrolments} enrolment sessions ({enrolled} enrolled) through {admin.Count} replicas at once, all counted");
    }

    [Fact]
    public async Task Right_after_a_gallery_storage_change_every_replicas_Identify_answers_exactly_what_one_process_does()
    {
        var mirrored = await MirroredAsync();
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var single = new FaceMatchClient(cluster.Channel(cluster.Single));
        var admins = cluster.Replicas.Select(r => new Admin.AdminClient(cluster.Channel(r))).ToList();
        var probe = Photos.First(p => mirrored.PhotoOfCluster.ContainsValue(p));
        // The single process's answer, float32 and exact (its gallery storage never changes here).
        var expected = (await IdentifyAsync(single, mirrored.SingleToken, probe)).Select(c => (Photo: mirrored.PhotoOfSingle[c.TemplateId], c.Score)).ToList();
        try
        {
            // Each change through another replica, each replica's Identify at once after SetPolicy returns: whether a
            // shard still holds the old storage or already the new one, the scores are exact and the order the same.
            var storages = new[] { GalleryStorage.Int8, GalleryStorage.Float32, GalleryStorage.Int8, GalleryStorage.Float32 };
            for (var change = 0; change < storages.Length; change++)
            {
                await admins[change % admins.Count].SetPolicyAsync(new SetPolicyRequest
                {
                    TenantId = mirrored.ClusterTenant,
                    Policy = new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.01f, GalleryStorage = storages[change] },
                }, ServiceFixture.As(cluster.AdminTokenValue));
                var answers = await Task.WhenAll(replicas.Select(r => IdentifyAsync(r, mirrored.ClusterToken, probe)));
                for (var r = 0; r < answers.Length; r++)
                {
                    var got = answers[r].Select(c => (Photo: mirrored.PhotoOfCluster[c.TemplateId], c.Score)).ToList();
                    Assert.True(expected.Select(e => e.Photo).SequenceEqual(got.Select(g => g.Photo)), $"after {storages[change]}, replica {r}: another order");
                    foreach (var (e, g) in expected.Zip(got)) Assert.Equal(e.Score, g.Score, 4);
                }
            }
        }
        finally
        {
            await admins[0].SetPolicyAsync(new SetPolicyRequest
            {
                TenantId = mirrored.ClusterTenant, Policy = new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.01f },
            }, ServiceFixture.As(cluster.AdminTokenValue));
        }
    }

    [Fact]
    public async Task A_gallery_storage_change_whose_notice_never_came_still_gives_exact_answers_and_the_owners_rebuild()
    {
        var mirrored = await MirroredAsync();
        var replicas = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var single = new FaceMatchClient(cluster.Channel(cluster.Single));
        var probe = Photos.First(p => mirrored.PhotoOfCluster.ContainsValue(p));
        var expected = (await IdentifyAsync(single, mirrored.SingleToken, probe)).Select(c => (Photo: mirrored.PhotoOfSingle[c.TemplateId], c.Score)).ToList();
        var admin = new Admin.AdminClient(cluster.Channel(cluster.Replicas[0]));
        var asAdmin = ServiceFixture.As(cluster.AdminTokenValue);
        var directory = Directory.CreateTempSubdirectory("facematch-side-vault-");
        try
        {
            // int8 through the API: every owner rebuilds its shards from the notice.
            await admin.SetPolicyAsync(new SetPolicyRequest
            {
                TenantId = mirrored.ClusterTenant,
                Policy = new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.01f, GalleryStorage = GalleryStorage.Int8 },
            }, asAdmin);
            await PollAsync(async () => (await HeldShardsAsync(mirrored.ClusterTenant, GalleryStorage.Int8)).All(s => s.Approximate),
                TimeSpan.FromSeconds(30), "every held shard in int8");

            // Then float32 written straight into the store, as by a replica that died before it published the notice:
            // no owner is told, their shards stay int8 until a search shows them the policy.
            await using (var side = await FaceMatchVault.OpenAsync(new VaultOptions
            {
                DataDirectory = directory.FullName,
                MasterKeyBase64 = cluster.Deployment.MasterKeyBase64,
                UseEnvironmentMasterKey = false,
                Cluster = new ClusterStoreSettings
                {
                    Endpoints = cluster.Deployment.Store.Endpoints.Split(','),
                    Password = ClusterStoreSettings.ReadPasswordFile(cluster.Deployment.Store.PasswordFile),
                },
            }))
            {
                var policy = side.Tenants.Get(mirrored.ClusterTenant)!.Policy;
                await side.Tenants.SetPolicyAsync(mirrored.ClusterTenant, policy with { GalleryStorage = VaultGalleryStorage.Float32 });
            }
            // Every replica's Identify at once: the order and the exact scores of one process, from int8 shards.
            var answers = await Task.WhenAll(replicas.Select(r => IdentifyAsync(r, mirrored.ClusterToken, probe)));
            for (var r = 0; r < answers.Length; r++)
            {
                var got = answers[r].Select(c => (Photo: mirrored.PhotoOfCluster[c.TemplateId], c.Score)).ToList();
                Assert.True(expected.Select(e => e.Photo).SequenceEqual(got.Select(g => g.Photo)), $"replica {r}: another order");
                foreach (var (e, g) in expected.Zip(got)) Assert.Equal(e.Score, g.Score, 4);
            }
            // And the searches made the owners rebuild in float32.
            await PollAsync(async () => (await HeldShardsAsync(mirrored.ClusterTenant, GalleryStorage.Float32)).All(s => !s.Approximate),
                TimeSpan.FromSeconds(30), "every held shard rebuilt in float32");
        }
        finally
        {
            await admin.SetPolicyAsync(new SetPolicyRequest
            {
                TenantId = mirrored.ClusterTenant, Policy = new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.01f },
            }, asAdmin);
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Each shard of the tenant that some replica holds, asked of that replica over the internal service (with the peer
    /// token), under <paramref name="storage"/>: whether its scores are approximate (int8 rows only).
    /// </summary>
    private async Task<List<(int Shard, bool Approximate)>> HeldShardsAsync(string tenantId, GalleryStorage storage)
    {
        var peer = new Metadata { { "authorization", "Peer " + File.ReadAllText(cluster.PeerTokenFile).Trim() } };
        var probe = Enumerable.Repeat(1f / MathF.Sqrt(128), 128);
        var held = new List<(int, bool)>();
        foreach (var replica in cluster.Replicas)
        {
            var shards = new FaceMatch.Server.Cluster.Internal.GalleryShards.GalleryShardsClient(cluster.Channel(replica));
            for (var shard = 0; shard < ReplicaClusterFixture.Shards; shard++)
            {
                var request = new FaceMatch.Server.Cluster.Internal.ShardSearchRequest
                {
                    TenantId = tenantId, Wanted = 1, TopK = 1, Storage = (int)storage, ShardCount = ReplicaClusterFixture.Shards,
                };
                request.Shards.Add(shard);
                request.ProtectedProbe.AddRange(probe);
                try
                {
                    var response = await shards.SearchAsync(request, peer);
                    if (response.Candidates.Count > 0) held.Add((shard, response.Approximate));
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable) { }   // not this replica's
            }
        }
        Assert.NotEmpty(held);
        return held;
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
