using System.Net.WebSockets;
using FaceMatch.Api.V1;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Web;

/// <summary>
/// A host that has opened its vault and its ports but not loaded the models (no models are needed to see it): a
/// WebSocket session is refused UNAVAILABLE, as a gRPC call is, before the token is even looked at.
/// </summary>
public sealed class SessionSocketReadinessTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("fm-ws-ready").FullName;
    private FaceMatchHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await FaceMatchHost.StartAsync(new HostSettings
        {
            Server = new ServerSettings { Port = 0, MetricsPort = 0, HttpPort = 0 },
            DataDirectory = _data,
            ManifestPath = TestPaths.ManifestPath,
        }, logging: _ => { });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Sessions_are_refused_unavailable_until_the_server_is_serving()
    {
        var address = new Uri($"ws://127.0.0.1:{_host.Server.HttpPort}/v1/sessions/enroll");
        await using var session = await SocketSession.ConnectAsync(address, "fm_any_token");
        var outcome = await session.RunAsync(new SessionStart(), []);
        Assert.Equal("UNAVAILABLE", outcome.Error!.Status);
        Assert.Equal("the server is starting; retry shortly", outcome.Error.Message);
        Assert.Equal((WebSocketCloseStatus)4014, outcome.Close);
    }
}
