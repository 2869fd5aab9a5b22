using FaceMatch.Api.V1;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using FaceMatch.Vault.Retention;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// Template retention on an injected clock. A `facematch serve` process cannot take a fake clock, so this runs the
/// same composition root in-process (<see cref="FaceMatchHost"/>: real models, real vault, loopback ports) with a
/// <see cref="FakeTimeProvider"/>, and talks to it over Grpc.Net.Client as any client does.
/// </summary>
public sealed class RetentionExpiryTests : IAsyncLifetime
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(10);
    private readonly string _adminToken = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    private readonly string _data = Directory.CreateTempSubdirectory("fm-retention").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly TestLogSink _log = new();
    private FaceMatchHost _host = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _host = await FaceMatchHost.StartAsync(new HostSettings
        {
            Server = new ServerSettings { Port = 0, MetricsPort = 0 },
            DataDirectory = _data,
            ManifestPath = TestPaths.ManifestPath,
            AdminTokenFromEnvironment = _adminToken,
            Clock = _clock,
            RetentionSweepInterval = SweepInterval,
        }, logging => logging.AddProvider(_log));
        await _host.LoadAsync();
        _channel = GrpcChannel.ForAddress(_host.Server.LocalAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_template_unused_past_its_retention_leaves_vault_and_gallery_while_a_newer_one_stays()
    {
        var admin = new Admin.AdminClient(_channel);
        var client = new FaceMatch.Api.V1.FaceMatch.FaceMatchClient(_channel);
        var tenant = await admin.CreateTenantAsync(new CreateTenantRequest { Name = "retention" }, ServiceFixture.As(_adminToken));
        await admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory, TemplateRetentionDays = 1 } },
            ServiceFixture.As(_adminToken));
        var token = (await admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(_adminToken))).Token;
        var people = ServiceFixture.People(photos: 1);
        var (oldPhoto, newPhoto) = (people[0].Photos[0], people[1].Photos[0]);

        async Task<SessionResult> Session(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionStart start, string photo, int frames) =>
            (await SessionDriver.RunAsync(call, start, Enumerable.Repeat(File.ReadAllBytes(photo), frames))).Result;

        var old = await Session(client.Enroll(ServiceFixture.As(token)), new SessionStart(), oldPhoto, 3);
        Assert.True(old.Enrolled, old.Reason);
        _clock.Advance(TimeSpan.FromHours(18));
        var recent = await Session(client.Enroll(ServiceFixture.As(token)), new SessionStart(), newPhoto, 3);
        Assert.True(recent.Enrolled, recent.Reason);
        Assert.True(_host.Galleries!.Contains(tenant.TenantId, old.TemplateId));

        // 30 h after the first enrolment, 12 h after the second: only the first is past its day. Nothing reads either
        // template meanwhile, so only the sweeper (its timer is on the fake clock) can remove it.
        var report = await AdvanceUntilSweptAsync(TimeSpan.FromHours(12), r => r.Templates > 0);
        Assert.Equal(1, report.Templates);
        Assert.False(_host.Galleries.Contains(tenant.TenantId, old.TemplateId), "the expired template is still in the gallery after the sweep");
        Assert.True(_host.Galleries.Contains(tenant.TenantId, recent.TemplateId));
        Assert.Contains(_log.Lines, l => l.Contains("retention sweep removed 1 templates"));
        Assert.Equal(1ul, (await admin.GetUsageAsync(new GetUsageRequest { TenantId = tenant.TenantId }, ServiceFixture.As(_adminToken))).Templates);

        var gone = await Assert.ThrowsAsync<RpcException>(() => Session(client.Authenticate(ServiceFixture.As(token)), new SessionStart { TemplateId = old.TemplateId }, oldPhoto, 1));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.Equal("template not found", gone.Status.Detail);
        var identified = await Session(client.Identify(ServiceFixture.As(token)), new SessionStart(), oldPhoto, 1);
        Assert.DoesNotContain(identified.Candidates, c => c.TemplateId == old.TemplateId);

        var kept = await Session(client.Authenticate(ServiceFixture.As(token)), new SessionStart { TemplateId = recent.TemplateId }, newPhoto, 1);
        Assert.True(kept.Match, $"{kept.MatchScore} {kept.Reason}");
        var found = await Session(client.Identify(ServiceFixture.As(token)), new SessionStart(), newPhoto, 1);
        Assert.Equal(recent.TemplateId, found.Candidates.FirstOrDefault()?.TemplateId);
    }

    /// <summary>
    /// Moves the fake clock by <paramref name="jump"/>, then one sweep interval at a time, until a sweep reports what
    /// <paramref name="wanted"/> asks. The sweeper re-arms its timer only after a sweep finishes, so a jump may come
    /// while no timer is armed; the steps after it fire the next one.
    /// </summary>
    private async Task<SweepReport> AdvanceUntilSweptAsync(TimeSpan jump, Func<SweepReport, bool> wanted)
    {
        var swept = new TaskCompletionSource<SweepReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSwept(SweepReport? report, Exception? error)
        {
            if (error is not null) swept.TrySetException(error);
            else if (report is not null && wanted(report)) swept.TrySetResult(report);
        }
        var sweeper = _host.Sweeper!;
        sweeper.Swept += OnSwept;
        try
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            _clock.Advance(jump);
            while (await Task.WhenAny(swept.Task, Task.Delay(200)) != swept.Task)
            {
                if (DateTime.UtcNow > until) throw new TimeoutException("no sweep removed the expired template within 60 s");
                _clock.Advance(SweepInterval);
            }
            return await swept.Task;
        }
        finally { sweeper.Swept -= OnSwept; }
    }
}
