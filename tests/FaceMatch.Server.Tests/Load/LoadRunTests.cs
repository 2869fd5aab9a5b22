using FaceMatch.Load;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Server.Tests.Load;

/// <summary>The load generator's loop and bounds, with health checks (which need no tenant, photos or models) against the product host.</summary>
public sealed class LoadRunTests
{
    private static LoadOptions Health(Uri target) => new() { Target = target, Mix = CallMix.HealthOnly };

    [Fact]
    public async Task ABoundedRunCompletesEveryRequestAgainstARealServer()
    {
        await using var test = await GrpcTestServer.StartAsync();

        var report = await LoadRun.RunAsync(Health(test.Server.LocalAddress) with { Concurrency = 8, Requests = 300, Duration = TimeSpan.FromMinutes(2) });

        Assert.Equal("closed-loop", report.Mode);
        Assert.Equal(300, report.Completed);
        Assert.Equal(0, report.Errors);
        Assert.Equal(300, report.Statuses["OK"]);
        var health = report.Calls["health"];
        Assert.Equal(300, health.Ok);
        var l = health.LatencyMs;
        Assert.True(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max);
        Assert.True(report.CallsPerSecond > 0);
        Assert.Equal(300, report.IssuedPerSecond.Sum());
    }

    [Fact]
    public async Task AnOpenLoopRunIssuesOnScheduleWhateverTheServerDoes()
    {
        await using var test = await GrpcTestServer.StartAsync();

        // 50 calls/s for 2 s: the schedule stops issuing at the duration, not at the request budget.
        var report = await LoadRun.RunAsync(Health(test.Server.LocalAddress) with { Rate = 50, Requests = 1_000, Duration = TimeSpan.FromSeconds(2) });

        Assert.Equal("open-loop", report.Mode);
        Assert.Null(report.Concurrency);
        Assert.Equal(100, report.Issued);
        Assert.Equal(100, report.Completed);
        Assert.Equal(0, report.Errors);
        Assert.Equal([50, 50], report.IssuedPerSecond);
    }

    [Fact]
    public async Task CallsCutOffByTheDurationAreNotCountedAsErrors()
    {
        await using var test = await GrpcTestServer.StartAsync();

        // Far more requests than fit in the duration, so calls are in flight when it ends.
        var report = await LoadRun.RunAsync(Health(test.Server.LocalAddress) with { Concurrency = 8, Requests = 10_000_000, Duration = TimeSpan.FromSeconds(1) })
            .WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(report.Completed > 0);
        Assert.Equal(0, report.Errors);
        Assert.Equal(["OK"], report.Statuses.Keys);
    }

    [Fact]
    public async Task AnUnreachableServerIsCountedAsErrorsNotAHang()
    {
        var report = await LoadRun.RunAsync(Health(new Uri("http://127.0.0.1:1")) with { Concurrency = 2, Requests = 10, CallTimeout = TimeSpan.FromSeconds(5) })
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(10, report.Completed);
        Assert.Equal(10, report.Errors);
        Assert.Equal(["UNAVAILABLE"], report.Statuses.Keys);
    }

    [Theory]
    [InlineData("http://10.1.2.3:50051")]
    [InlineData("http://example.com:50051")]
    public void RemoteTargetsNeedExplicitPermission(string target)
    {
        var e = Assert.Throws<ArgumentException>(() => Health(new Uri(target)).Validate());
        Assert.Contains("--allow-remote", e.Message);
        (Health(new Uri(target)) with { AllowRemote = true }).Validate();
    }

    [Fact]
    public void ARemoteMetricsEndpointNeedsExplicitPermissionToo()
    {
        var options = Health(new Uri("http://127.0.0.1:50051")) with { MetricsUrl = new Uri("http://10.1.2.3:9464/metrics") };
        Assert.Contains("--metrics", Assert.Throws<ArgumentException>(options.Validate).Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:50051")]
    [InlineData("http://localhost:50051")]
    [InlineData("http://[::1]:50051")]
    public void LoopbackTargetsAreAllowed(string target) => Health(new Uri(target)).Validate();

    [Fact]
    public void SessionsNeedPhotosAndTheAdminToken()
    {
        var target = new Uri("http://127.0.0.1:50051");
        Assert.Contains("--photos", Assert.Throws<ArgumentException>(() => new LoadOptions { Target = target, AdminToken = "t" }.Validate()).Message);
        Assert.Contains("admin token", Assert.Throws<ArgumentException>(() => new LoadOptions { Target = target, PhotosDirectory = "." }.Validate()).Message);
        Assert.DoesNotContain("secret", new LoadOptions { Target = target, AdminToken = "secret" }.ToString());
    }
}
