using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests.Shared;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Service;

/// <summary>The deployment the failover drill runs on: 3 store primaries with a replica each, 3 `facematch serve` replicas.</summary>
public sealed class ClusterDeploymentFixture : IAsyncLifetime
{
    public ClusterDeployment Deployment { get; private set; } = null!;

    public async Task InitializeAsync() => Deployment = await ClusterDeployment.StartAsync(replicas: 3);

    public async Task DisposeAsync() => await Deployment.DisposeAsync();
}

/// <summary>
/// What a client was told is what the cluster keeps: an enrolment load runs through three `facematch serve`
/// replicas on FACEMATCH_STORE=cluster while a store primary is SIGKILLed (its replica takes over; the killed node is
/// restarted, as a supervisor would, and rejoins as a replica). Every template whose SessionResult reached its
/// client must afterwards authenticate, through any replica, with the photo it was enrolled from. Calls that
/// failed meanwhile, and how long until enrolments succeeded again, are printed.
/// FACEMATCH_CLUSTER_LONG_RUN=1 kills every primary in turn, with more load (the documented longer run).
/// </summary>
public sealed class StoreFailoverTests(ClusterDeploymentFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ClusterDeploymentFixture>
{
    private sealed record Enrolment(string Photo, string TemplateId);
    private sealed record Failure(TimeSpan At, int Replica, StatusCode Status);

    private static readonly string[] Photos = [.. ServiceFixture.People(photos: 1).SelectMany(p => p.Photos)];
    private static readonly ConcurrentDictionary<string, byte[]> PhotoBytes = new();
    private static readonly bool LongRun = Environment.GetEnvironmentVariable("FACEMATCH_CLUSTER_LONG_RUN") == "1";

    private static IEnumerable<byte[]> Still(string photo, int frames = 3) => Enumerable.Repeat(PhotoBytes.GetOrAdd(photo, File.ReadAllBytes), frames);

    [Fact]
    public async Task Sigkill_of_a_store_primary_during_an_enrolment_load_loses_no_acknowledged_template()
    {
        var deployment = fixture.Deployment;
        var store = deployment.Store;
        var (_, token) = await deployment.NewTenantAsync();
        var acknowledged = new ConcurrentQueue<Enrolment>();
        var failures = new ConcurrentQueue<Failure>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        int inFlight = 0;
        var load = deployment.Replicas.Select(r => Task.Run(() => EnrolAsync(r, token, acknowledged, failures, clock, () => Interlocked.Increment(ref inFlight), () => Interlocked.Decrement(ref inFlight), stop.Token))).ToList();

        var kills = LongRun ? 3 : 1;
        var before = LongRun ? 12 : 6;
        var killedNodes = new HashSet<int>();
        try
        {
            for (var round = 0; round < kills; round++)
            {
                await WaitUntilAsync(() => acknowledged.Count >= before * (round + 1), TimeSpan.FromMinutes(3), $"{before * (round + 1)} acknowledged enrolments");
                Assert.All(load, t => Assert.False(t.IsCompleted, $"a load worker stopped: {t.Exception}"));
                var primaries = await store.PrimariesAsync();
                var victim = primaries.FirstOrDefault(p => !killedNodes.Contains(p.Index)) ?? primaries[0];
                killedNodes.Add(victim.Index);
                var runningAtKill = Volatile.Read(ref inFlight);
                var killedAt = clock.Elapsed;
                store.Kill(victim);
                var acknowledgedAtKill = acknowledged.Count;
                // The replica takes over once the others count the primary as failed (cluster-node-timeout).
                await store.WaitHealthyAsync(TimeSpan.FromSeconds(60));
                var failedOverAt = clock.Elapsed;
                // A supervisor restarts the killed node; it rejoins as the new primary's replica, so writes to those
                // slots can be confirmed by a replica again (WAIT 1).
                await store.RestartAsync(victim);
                await store.WaitHealthyAsync(TimeSpan.FromSeconds(60));
                await store.WaitReplicatedAsync(1, TimeSpan.FromSeconds(60));
                var replicatedAt = clock.Elapsed;
                // Load goes on until enrolments succeed again on every replica.
                var failuresSoFar = failures.Count;
                await WaitUntilAsync(() => acknowledged.Count >= acknowledgedAtKill + 2 * deployment.Replicas.Count
                    && (failures.IsEmpty || clock.Elapsed - failures.Max(f => f.At) > TimeSpan.FromSeconds(3)), TimeSpan.FromMinutes(2), "enrolments succeeding again after the kill");
                var during = failures.Where(f => f.At >= killedAt).ToList();
                var lastFailure = during.Count == 0 ? killedAt : during.Max(f => f.At);
                output.WriteLine($"kill {round + 1}: store node {victim.Index} (a primary) SIGKILLed with {runningAtKill} enrolment session(s) running, {acknowledgedAtKill} acknowledged before");
                output.WriteLine($"  failover (cluster healthy again): {(failedOverAt - killedAt).TotalSeconds:F1} s after the kill; killed node restarted and replicated: {(replicatedAt - killedAt).TotalSeconds:F1} s");
                output.WriteLine($"  failed calls: {during.Count} ({string.Join(", ", during.GroupBy(f => f.Status).Select(g => $"{g.Key} × {g.Count()}"))}); " +
                    $"time to recover (kill → last failed call): {(lastFailure - killedAt).TotalSeconds:F1} s");
                Assert.True(runningAtKill > 0, "no session was running when the store primary was killed");
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load).WaitAsync(TimeSpan.FromMinutes(2));
        }
        output.WriteLine($"{acknowledged.Count} enrolments acknowledged, {failures.Count} calls failed in all");
        // What the servers said about the failed calls (their logs carry no keys, values or tokens).
        foreach (var replica in deployment.Replicas)
            foreach (var line in replica.Serve.Lines.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception")).Take(20))
                output.WriteLine($"  replica {replica.Index}: {line}");

        await AssertEveryTemplateAuthenticatesAsync(token, [.. acknowledged]);
    }

    /// <summary>Enrols one photo after another through <paramref name="replica"/> until stopped; a failed call is recorded and the next one tried.</summary>
    private static async Task EnrolAsync(ClusterReplica replica, string token, ConcurrentQueue<Enrolment> acknowledged, ConcurrentQueue<Failure> failures,
        Stopwatch clock, Action enter, Action exit, CancellationToken stop)
    {
        for (var i = replica.Index * 11; !stop.IsCancellationRequested; i++)
        {
            var photo = Photos[i % Photos.Length];
            enter();
            try
            {
                var outcome = await SessionDriver.RunAsync(replica.Client.Enroll(ServiceFixture.As(token)), new SessionStart(), Still(photo));
                if (outcome.Result.Enrolled) acknowledged.Enqueue(new Enrolment(photo, outcome.Result.TemplateId));
            }
            catch (RpcException e)
            {
                failures.Enqueue(new Failure(clock.Elapsed, replica.Index, e.StatusCode));
                // What a client's retry would do: back off a little, then go on.
                await Task.Delay(200, CancellationToken.None);
            }
            finally { exit(); }
        }
    }

    /// <summary>Each acknowledged template authenticates with its photo, through a replica other than the one that enrolled it where possible.</summary>
    private async Task AssertEveryTemplateAuthenticatesAsync(string token, IReadOnlyList<Enrolment> acknowledged)
    {
        Assert.NotEmpty(acknowledged);
        var replicas = fixture.Deployment.Replicas;
        var i = 0;
        foreach (var (photo, templateId) in acknowledged)
        {
            var replica = replicas[i++ % replicas.Count];
            SessionResult result;
            try
            {
                result = (await SessionDriver.RunAsync(replica.Client.Authenticate(ServiceFixture.As(token)), new SessionStart { TemplateId = templateId }, Still(photo, 1))).Result;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw new Xunit.Sdk.XunitException($"acknowledged template {templateId} ({Path.GetFileName(photo)}) is gone after the failover: {e.Status.Detail}");
            }
            Assert.True(result.Match, $"{templateId} vs {Path.GetFileName(photo)}: {result.MatchScore} {result.Reason}");
        }
        output.WriteLine($"all {acknowledged.Count} acknowledged templates authenticate after the failover");
    }

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
