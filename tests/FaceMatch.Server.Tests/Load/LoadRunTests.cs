using FaceMatch.Load;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Server.Tests.Load;

public sealed class LoadRunTests
{
    [Fact]
    public async Task ABoundedRunCompletesEveryRequestAgainstARealServer()
    {
        await using var test = await GrpcTestServer.StartAsync();
        var server = test.Server;

        var report = await LoadRun.RunAsync(new LoadOptions { Target = server.LocalAddress, Concurrency = 8, Requests = 300, Duration = TimeSpan.FromMinutes(2) });

        Assert.Equal(300, report.Requests);
        Assert.Equal(0, report.Errors);
        Assert.Equal(300, report.Statuses["OK"]);
        Assert.True(report.P50Ms > 0 && report.P50Ms <= report.P90Ms && report.P90Ms <= report.P99Ms && report.P99Ms <= report.MaxMs);
        Assert.True(report.RequestsPerSecond > 0);
    }

    [Fact]
    public async Task CallsCutOffByTheDurationAreNotCountedAsErrors()
    {
        await using var test = await GrpcTestServer.StartAsync();
        var server = test.Server;

        // Far more requests than fit in the duration, so calls are in flight when it ends.
        var report = await LoadRun.RunAsync(new LoadOptions { Target = server.LocalAddress, Concurrency = 8, Requests = 10_000_000, Duration = TimeSpan.FromSeconds(1) })
            .WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(report.Requests > 0);
        Assert.Equal(0, report.Errors);
        Assert.Equal(["OK"], report.Statuses.Keys);
    }

    [Fact]
    public async Task AnUnreachableServerIsCountedAsErrorsNotAHang()
    {
        var report = await LoadRun.RunAsync(new LoadOptions { Target = new Uri("http://127.0.0.1:1"), Concurrency = 2, Requests = 10, CallTimeout = TimeSpan.FromSeconds(5) })
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(10, report.Requests);
        Assert.Equal(10, report.Errors);
        Assert.DoesNotContain("OK", report.Statuses.Keys);
    }

    [Theory]
    [InlineData("http://10.1.2.3:50051")]
    [InlineData("http://example.com:50051")]
    public void RemoteTargetsNeedExplicitPermission(string target)
    {
        var e = Assert.Throws<ArgumentException>(() => new LoadOptions { Target = new Uri(target) }.Validate());
        Assert.Contains("--allow-remote", e.Message);
        new LoadOptions { Target = new Uri(target), AllowRemote = true }.Validate();
    }

    [Theory]
    [InlineData("http://127.0.0.1:50051")]
    [InlineData("http://localhost:50051")]
    [InlineData("http://[::1]:50051")]
    public void LoopbackTargetsAreAllowed(string target) => new LoadOptions { Target = new Uri(target) }.Validate();
}
