using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;
using InteropTestService.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>The hardening settings reach Kestrel, and the connection cap holds against a real second client.</summary>
public sealed class KestrelLimitsTests
{
    [Fact]
    public async Task Settings_become_kestrel_limits()
    {
        await using var server = await GrpcTestServer.StartAsync(s => s with { MaxConnections = 7, MaxConcurrentStreams = 9 });
        var limits = server.Server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(7, limits.MaxConcurrentConnections);
        Assert.Equal(9, limits.Http2.MaxStreamsPerConnection);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.RequestHeadersTimeout);
        Assert.NotNull(limits.MinRequestBodyDataRate);
        Assert.Equal(240, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.Http2.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), limits.Http2.KeepAlivePingTimeout);
        Assert.False(server.Server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.AddServerHeader);
        // No upgrades without the HTTP port; with it, WebSocket sessions, as many as connections.
        Assert.Equal(0, limits.MaxConcurrentUpgradedConnections);
        await using var withHttp = await GrpcTestServer.StartAsync(s => s with { MaxConnections = 7, HttpPort = 0 });
        Assert.Equal(7, withHttp.Server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentUpgradedConnections);
        Assert.NotEqual(0, withHttp.Server.HttpPort);
    }

    [Fact]
    public async Task A_connection_over_the_cap_is_refused_while_the_first_one_keeps_working()
    {
        await using var server = await GrpcTestServer.StartAsync(s => s with { MaxConnections = 1 });
        using var first = server.CreateChannel();
        using var held = new Interop.InteropClient(first).Duplex(Calls.Bounded());
        await held.RequestStream.WriteAsync(new EchoRequest { Text = "holding" });
        Assert.True(await held.ResponseStream.MoveNext(CancellationToken.None));

        using var second = GrpcChannel.ForAddress(server.Server.LocalAddress);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            new Interop.InteropClient(second).UnaryAsync(new EchoRequest { Text = "second" }, Calls.Bounded(seconds: 15)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        await held.RequestStream.WriteAsync(new EchoRequest { Text = "still here" });
        Assert.True(await held.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("still here", held.ResponseStream.Current.Text);
        await held.RequestStream.CompleteAsync();
    }
}
