using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using FaceMatchClient = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>
/// A FaceMatch replica SIGKILLed under an enrolment load spread over three: the calls it was running fail (counted),
/// the survivors take its shards over once its heartbeat expires (the time is measured), and every template whose
/// enrolment was acknowledged, by any replica, is then found by Identify on each survivor.
/// </summary>
[Collection(ReplicaClusterCollection.Name)]
public sealed class ReplicaKillTests(ReplicaClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ReplicaClusterFixture>
{
    private sealed record Enrolment(string Photo, string TemplateId);

    private static readonly string[] Photos = [.. ServiceFixture.People(photos: 1).SelectMany(p => p.Photos)];

    private static IEnumerable<byte[]> Still(string photo, int frames = 3) => Enumerable.Repeat(File.ReadAllBytes(photo), frames);

    [Fact]
    public async Task Sigkill_of_a_replica_under_enrolment_load_loses_no_acknowledged_template_and_the_survivors_take_its_shards()
    {
        var (_, token) = await cluster.NewTenantAsync(cluster.Replicas[0]);
        var clients = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        var victim = cluster.Replicas[2];
        var acknowledged = new ConcurrentQueue<Enrolment>();
        var failed = new ConcurrentQueue<(int Replica, StatusCode Status, bool BeforeKill)>();
        long killedAt = long.MaxValue;
        var stop = new CancellationTokenSource();
        int started = 0;
        var killAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Six workers, two per replica, enrolling one session after another until told to stop; a worker whose replica
        // failed it goes on with another, as a client's retry would.
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var replica = w % clients.Count;
            for (var i = w * 5; !stop.IsCancellationRequested; i++)
            {
                var photo = Photos[i % Photos.Length];
                Interlocked.Increment(ref started);
                var startedAt = Stopwatch.GetTimestamp();
                try
                {
                    var outcome = await SessionDriver.RunAsync(clients[replica].Enroll(ServiceFixture.As(token, 30)), new SessionStart(), Still(photo));
                    if (outcome.Result.Enrolled) acknowledged.Enqueue(new Enrolment(photo, outcome.Result.TemplateId));
                    if (acknowledged.Count >= 15) killAt.TrySetResult();
                }
                catch (RpcException e)
                {
                    failed.Enqueue((replica, e.StatusCode, startedAt < Volatile.Read(ref killedAt)));
                    replica = (replica + 1) % 2;
                }
            }
        })).ToList();

        await killAt.Task.WaitAsync(TimeSpan.FromMinutes(3));
        var beforeKill = acknowledged.Count;
        Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
        await victim.KillAsync(TimeSpan.FromSeconds(30));
        var killed = Stopwatch.StartNew();

        // Recovered: Identify through each survivor answers (no shard without an owner) again.
        var survivors = clients.Take(2).ToList();
        int identifyFailures = 0;
        foreach (var survivor in survivors)
            await ShardedIdentifyTests.PollAsync(async () =>
            {
                try
                {
                    await SessionDriver.RunAsync(survivor.Identify(ServiceFixture.As(token, 30)), new SessionStart { TopK = 1 }, Still(Photos[0], 1));
                    return true;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    identifyFailures++;
                    return false;
                }
            }, TimeSpan.FromSeconds(90), "Identify on a survivor answering after the kill");
        var recovered = killed.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));   // a little more load on the survivors' new shards
        stop.Cancel();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));

        var byReplica = failed.GroupBy(f => f.Replica).ToDictionary(g => g.Key, g => string.Join(", ", g.GroupBy(f => (f.Status, f.BeforeKill))
            .Select(s => $"{s.Count()} {s.Key.Status} ({(s.Key.BeforeKill ? "running at the kill" : "started after it")})")));
        output.WriteLine($"{Volatile.Read(ref started)} enrolments started, {acknowledged.Count} acknowledged ({beforeKill} before the kill)");
        output.WriteLine($"failed calls: {(failed.IsEmpty ? "none" : string.Join("; ", byReplica.Select(kv => $"replica {kv.Key}: {kv.Value}")))}");
        output.WriteLine($"Identify answered again on both survivors {recovered.TotalSeconds:F1} s after the SIGKILL ({identifyFailures} UNAVAILABLE Identify calls meanwhile; heartbeat TTL {ReplicaClusterFixture.MemberTtlSeconds} s)");
        Assert.All(failed.Where(f => f.Replica != 2), f => Assert.Fail($"a survivor failed an enrolment: {f.Status}"));
        Assert.Contains(failed, f => f.Replica == 2 && f.BeforeKill);   // the kill did land under load

        // Every acknowledged template, whichever replica took it, is found by Identify through each survivor.
        var all = acknowledged.ToList();
        Assert.True(all.Count <= SessionEnding.MaxTopK * Photos.Length);
        foreach (var survivor in survivors)
            foreach (var byPhoto in all.GroupBy(e => e.Photo))
            {
                var ids = new HashSet<string>();
                var found = await SessionDriver.RunAsync(survivor.Identify(ServiceFixture.As(token, 30)), new SessionStart { TopK = SessionEnding.MaxTopK }, Still(byPhoto.Key, 1));
                ids.UnionWith(found.Result.Candidates.Select(c => c.TemplateId));
                Assert.True(byPhoto.Count() <= SessionEnding.MaxTopK, "more copies of one photo than one Identify lists");
                Assert.All(byPhoto, e => Assert.True(ids.Contains(e.TemplateId), $"acknowledged {e.TemplateId} ({Path.GetFileName(e.Photo)}) not found by Identify on a survivor"));
            }
    }
}
