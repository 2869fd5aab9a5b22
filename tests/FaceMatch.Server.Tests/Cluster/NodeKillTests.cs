using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using static FaceMatch.Server.Tests.Cluster.ClusterPhotos;
using FaceMatchClient = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>The kill drill's deployment: the replica cluster without the single comparison process.</summary>
public sealed class NodeKillFixture : ReplicaClusterFixture
{
    protected override bool WithSingleProcess => false;
}

/// <summary>
/// The scale-out issue's kill drill, in one run: an enrolment load spread over three `facematch serve` replicas on
/// FACEMATCH_STORE=cluster while first a store primary is SIGKILLed (its replica takes over; the killed node is
/// restarted, as a supervisor would, and rejoins as a replica), and then a FaceMatch replica is SIGKILLed (the
/// survivors take its shards over once its heartbeat expires). For each kill the failed calls and the time to recover
/// are printed. Afterwards every template whose SessionResult reached its client, whichever replica took it and
/// whichever phase, authenticates with its photo (it is readable) and is found by Identify on every survivor.
/// FACEMATCH_CLUSTER_LONG_RUN=1 kills every store primary in turn before the replica, with more load (the documented
/// longer run).
/// </summary>
[Collection(ReplicaClusterCollection.Name)]
public sealed class NodeKillTests(NodeKillFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<NodeKillFixture>
{
    private sealed record Enrolment(string Photo, string TemplateId);
    private sealed record Failure(TimeSpan At, int Replica, StatusCode Status);

    private static readonly bool LongRun = Environment.GetEnvironmentVariable("FACEMATCH_CLUSTER_LONG_RUN") == "1";
    private const int VictimReplica = 2;

    private readonly ConcurrentQueue<Enrolment> _acknowledged = new();
    private readonly ConcurrentQueue<Failure> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _inFlight;
    private volatile bool _replicaKilled;

    [Fact]
    public async Task Sigkill_of_a_store_primary_then_of_a_replica_under_enrolment_load_loses_no_acknowledged_template()
    {
        var deployment = cluster.Deployment;
        var (_, token) = await cluster.NewTenantAsync(cluster.Replicas[0]);
        var clients = cluster.Replicas.Select(r => new FaceMatchClient(cluster.Channel(r))).ToList();
        using var stop = new CancellationTokenSource();
        // Six workers, two per replica, enrolling one session after another until told to stop.
        var load = Enumerable.Range(0, 6).Select(w => Task.Run(() => EnrolAsync(clients, w, token, stop.Token))).ToList();
        var survivors = clients.Where((_, i) => i != VictimReplica).ToList();
        var step = LongRun ? 12 : 6;
        try
        {
            var storeKills = LongRun ? 3 : 1;
            var killed = new HashSet<int>();
            for (var round = 1; round <= storeKills; round++)
            {
                await WaitUntilAsync(() => _acknowledged.Count >= step * round, TimeSpan.FromMinutes(3), $"{step * round} acknowledged enrolments");
                Assert.All(load, t => Assert.False(t.IsCompleted, $"a load worker stopped: {t.Exception}"));
                await KillStorePrimaryAsync(round, killed);
            }

            await WaitUntilAsync(() => _acknowledged.Count >= step * (storeKills + 1), TimeSpan.FromMinutes(3), "more acknowledged enrolments before the replica kill");
            await KillReplicaAsync(survivors, token);
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load).WaitAsync(TimeSpan.FromMinutes(2));
        }
        output.WriteLine($"{_acknowledged.Count} enrolments acknowledged, {_failures.Count} calls failed in all");

        await AssertEveryTemplateIsReadableAndFoundAsync(survivors, token);
    }

    /// <summary>
    /// SIGKILLs a store primary not killed before, waits for its replica to take over, restarts it (it rejoins as a
    /// replica) and waits until enrolments succeed again on every FaceMatch replica; prints what it cost.
    /// </summary>
    private async Task KillStorePrimaryAsync(int round, HashSet<int> killed)
    {
        var store = cluster.Deployment.Store;
        var primaries = await store.PrimariesAsync();
        var victim = primaries.FirstOrDefault(p => !killed.Contains(p.Index)) ?? primaries[0];
        killed.Add(victim.Index);
        var runningAtKill = Volatile.Read(ref _inFlight);
        var killedAt = _clock.Elapsed;
        store.Kill(victim);
        var acknowledgedAtKill = _acknowledged.Count;
        // The replica takes over once the others count the primary as failed (cluster-node-timeout).
        await store.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var failedOverAt = _clock.Elapsed;
        // Restarted, the node rejoins as the new primary's replica, so writes to those slots can be confirmed by a
        // replica again (WAIT 1).
        await store.RestartAsync(victim);
        await store.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await store.WaitReplicatedAsync(1, TimeSpan.FromSeconds(60));
        var replicatedAt = _clock.Elapsed;
        await WaitUntilAsync(() => _acknowledged.Count >= acknowledgedAtKill + 2 * cluster.Replicas.Count
            && (_failures.IsEmpty || _clock.Elapsed - _failures.Max(f => f.At) > TimeSpan.FromSeconds(3)), TimeSpan.FromMinutes(2), "enrolments succeeding again after the store kill");
        var during = _failures.Where(f => f.At >= killedAt).ToList();
        var lastFailure = during.Count == 0 ? killedAt : during.Max(f => f.At);
        output.WriteLine($"store kill {round}: node {victim.Index} (a primary) SIGKILLed with {runningAtKill} enrolment session(s) running, {acknowledgedAtKill} acknowledged before");
        output.WriteLine($"  failover (store cluster healthy again): {(failedOverAt - killedAt).TotalSeconds:F1} s after the kill; killed node restarted and replicated: {(replicatedAt - killedAt).TotalSeconds:F1} s");
        output.WriteLine($"  failed calls: {Describe(during)}; time to recover (kill → last failed call): {(lastFailure - killedAt).TotalSeconds:F1} s");
        Assert.True(runningAtKill > 0, "no session was running when the store primary was killed");
    }

    /// <summary>
    /// SIGKILLs FaceMatch replica <see cref="VictimReplica"/>; recovered once Identify through each survivor answers
    /// again (every shard has a live owner). Survivors must not fail an enrolment meanwhile.
    /// </summary>
    private async Task KillReplicaAsync(IReadOnlyList<FaceMatchClient> survivors, string token)
    {
        var runningAtKill = Volatile.Read(ref _inFlight);
        var acknowledgedAtKill = _acknowledged.Count;
        var killedAt = _clock.Elapsed;
        _replicaKilled = true;
        await cluster.Replicas[VictimReplica].KillAsync(TimeSpan.FromSeconds(30));
        // Each Identify of the poll: when it started after the kill, how long it took, how it ended.
        var identifyCalls = new List<string>();
        foreach (var survivor in survivors)
            await ShardedIdentifyTests.PollAsync(async () =>
            {
                var startedAt = _clock.Elapsed;
                string outcome;
                try
                {
                    await SessionDriver.RunAsync(survivor.Identify(ServiceFixture.As(token, 30)), new SessionStart { TopK = 1 }, Still(Photos[0], 1));
                    outcome = "OK";
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    outcome = "UNAVAILABLE";
                }
                identifyCalls.Add($"{(startedAt - killedAt).TotalSeconds:F1}+{(_clock.Elapsed - startedAt).TotalSeconds:F1} s {outcome}");
                return outcome == "OK";
            }, TimeSpan.FromSeconds(90), "Identify on a survivor answering after the replica kill");
        var recoveredAt = _clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));   // a little more load on the survivors' new shards
        var during = _failures.Where(f => f.At >= killedAt).ToList();
        output.WriteLine($"replica kill: FaceMatch replica {VictimReplica} SIGKILLed with {runningAtKill} enrolment session(s) running, {acknowledgedAtKill} acknowledged before");
        output.WriteLine($"  failed calls: {Describe(during)}; Identify answered again on both survivors {(recoveredAt - killedAt).TotalSeconds:F1} s after the kill " +
            $"(heartbeat TTL {ReplicaClusterFixture.MemberTtlSeconds} s); the Identify calls, start after the kill + duration: {string.Join(", ", identifyCalls)}");
        Assert.All(during.Where(f => f.Replica != VictimReplica), f => Assert.Fail($"survivor {f.Replica} failed an enrolment after the replica kill: {f.Status}"));
        Assert.Contains(during, f => f.Replica == VictimReplica);   // the kill did land under load
    }

    /// <summary>
    /// Enrols one photo after another through replica <c>worker % 3</c> until stopped. A failed call is recorded and
    /// the next one goes to another replica, as a client's retry would (never to the killed replica once it is).
    /// </summary>
    private async Task EnrolAsync(IReadOnlyList<FaceMatchClient> clients, int worker, string token, CancellationToken stop)
    {
        var replica = worker % clients.Count;
        for (var i = worker * 5; !stop.IsCancellationRequested; i++)
        {
            var photo = Photos[i % Photos.Length];
            Interlocked.Increment(ref _inFlight);
            try
            {
                var outcome = await SessionDriver.RunAsync(clients[replica].Enroll(ServiceFixture.As(token, 30)), new SessionStart(), Still(photo));
                if (outcome.Result.Enrolled) _acknowledged.Enqueue(new Enrolment(photo, outcome.Result.TemplateId));
            }
            catch (RpcException e)
            {
                _failures.Enqueue(new Failure(_clock.Elapsed, replica, e.StatusCode));
                do replica = (replica + 1) % clients.Count;
                while (_replicaKilled && replica == VictimReplica);
                await Task.Delay(200, CancellationToken.None);
            }
            finally { Interlocked.Decrement(ref _inFlight); }
        }
    }

    /// <summary>Each acknowledged template authenticates with its photo through a survivor, and each survivor's Identify lists it.</summary>
    private async Task AssertEveryTemplateIsReadableAndFoundAsync(IReadOnlyList<FaceMatchClient> survivors, string token)
    {
        var all = _acknowledged.ToList();
        Assert.NotEmpty(all);
        var i = 0;
        foreach (var (photo, templateId) in all)
        {
            SessionResult result;
            try
            {
                result = (await SessionDriver.RunAsync(survivors[i++ % survivors.Count].Authenticate(ServiceFixture.As(token, 30)),
                    new SessionStart { TemplateId = templateId }, Still(photo, 1))).Result;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw new Xunit.Sdk.XunitException($"acknowledged template {templateId} ({Path.GetFileName(photo)}) is gone after the kills: {e.Status.Detail}");
            }
            Assert.True(result.Match, $"{templateId} vs {Path.GetFileName(photo)}: {result.MatchScore} {result.Reason}");
        }
        foreach (var survivor in survivors)
            foreach (var byPhoto in all.GroupBy(e => e.Photo))
            {
                Assert.True(byPhoto.Count() <= SessionEnding.MaxTopK, "more copies of one photo than one Identify lists");
                var found = await SessionDriver.RunAsync(survivor.Identify(ServiceFixture.As(token, 30)), new SessionStart { TopK = SessionEnding.MaxTopK }, Still(byPhoto.Key, 1));
                var ids = found.Result.Candidates.Select(c => c.TemplateId).ToHashSet();
                Assert.All(byPhoto, e => Assert.True(ids.Contains(e.TemplateId), $"acknowledged {e.TemplateId} ({Path.GetFileName(e.Photo)}) not found by Identify on a survivor"));
            }
        output.WriteLine($"all {all.Count} acknowledged templates authenticate through a survivor and are found by Identify on both survivors");
    }

    private static string Describe(IReadOnlyCollection<Failure> failures) =>
        failures.Count == 0 ? "none" : $"{failures.Count} ({string.Join(", ", failures.GroupBy(f => (f.Replica, f.Status)).Select(g => $"replica {g.Key.Replica} {g.Key.Status} × {g.Count()}"))})";

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"no {what} within {timeout}");
            await Task.Delay(50);
        }
    }
}
