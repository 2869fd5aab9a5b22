using InteropTestService.V1;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using Google.Protobuf;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>Our client against a grpc-js 1.14.7 server (tests/interop/node/server.mjs) on a free loopback port.</summary>
public sealed class GrpcJsServerTests : IAsyncLifetime
{
    private PeerProcess _node = null!;
    private GrpcChannel _channel = null!;
    private Uri _address = null!;
    private Interop.InteropClient _client = null!;

    public async Task InitializeAsync()
    {
        _node = await PeerProcess.StartAsync("server.mjs");
        var ready = await _node.ReadJsonLineAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("grpc-js server exited: " + _node.Stderr);
        var port = ready.GetProperty("port").GetInt32();
        _address = new Uri($"http://127.0.0.1:{port}");
        _channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        _client = new Interop.InteropClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Unary_with_metadata_both_ways()
    {
        var binary = new byte[] { 9, 0, 255, 128 };
        using var call = _client.UnaryAsync(new EchoRequest { Text = "to grpc-js", Payload = ByteString.CopyFrom(binary) },
            Calls.Bounded(new Metadata { { "x-user", "bob" }, { "x-key-bin", binary } }));
        var response = await call;
        Assert.Equal("to grpc-js", response.Text);
        Assert.Equal(binary, response.Payload.ToByteArray());
        var headers = await call.ResponseHeadersAsync;
        Assert.Equal("bob", headers.GetValue("x-user"));
        Assert.Equal(binary, headers.GetValueBytes("x-key-bin"));
        Assert.Equal("bob", call.GetTrailers().GetValue("x-trailer-user"));
        Assert.Equal(binary, call.GetTrailers().GetValueBytes("x-trailer-key-bin"));
    }

    [Fact]
    public async Task Client_streaming()
    {
        using var call = _client.ClientStream(Calls.Bounded());
        for (var i = 0; i < 12; i++)
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[500]) });
        await call.RequestStream.CompleteAsync();
        var response = await call;
        Assert.Equal(12, response.MessageCount);
        Assert.Equal(6000, response.TotalBytes);
    }

    [Fact]
    public async Task Server_streaming()
    {
        using var call = _client.ServerStream(new EchoRequest { ResponseCount = 40, ResponseSize = 128 }, Calls.Bounded());
        var indexes = new List<int>();
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(InteropService.Pattern(128), r.Payload.ToByteArray());
            indexes.Add(r.Index);
        }
        Assert.Equal(Enumerable.Range(0, 40), indexes);
    }

    [Fact]
    public async Task Duplex_ping_pong()
    {
        using var call = _client.Duplex(Calls.Bounded());
        for (var i = 0; i < 15; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"p{i}" });
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal($"p{i}", call.ResponseStream.Current.Text);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Error_status_and_unicode_message_are_read_from_grpc_js()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _client.UnaryAsync(
            new EchoRequest { FailCode = (int)StatusCode.FailedPrecondition, FailMessage = "nicht bereit: 50% ✓" }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal("nicht bereit: 50% ✓", e.Status.Detail);
    }

    [Fact]
    public async Task Unimplemented_method_of_grpc_js()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _client.NotBoundAsync(new EchoRequest(), Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task Our_deadline_ends_the_call_and_grpc_js_sees_it_cancelled()
    {
        var tag = Guid.NewGuid().ToString();
        using var call = _client.ServerStream(new EchoRequest { Text = tag, Hang = true }, Calls.Bounded(seconds: 2));
        Assert.True(await call.ResponseStream.MoveNext());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        var report = await _client.WasCancelledAsync(new CancelQuery { Text = tag, WaitMs = 10_000 }, Calls.Bounded());
        Assert.True(report.Cancelled);
    }

    [Fact]
    public async Task Our_cancellation_resets_the_stream_and_grpc_js_sees_it()
    {
        var tag = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        var call = _client.ServerStream(new EchoRequest { Text = tag, Hang = true }, Calls.Bounded(token: cts.Token));
        Assert.True(await call.ResponseStream.MoveNext());
        cts.Cancel();
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        var report = await _client.WasCancelledAsync(new CancelQuery { Text = tag, WaitMs = 10_000 }, Calls.Bounded());
        Assert.True(report.Cancelled);
    }

    [Fact]
    public async Task Grpc_js_server_cancelling_mid_stream_reaches_our_client()
    {
        using var call = _client.Duplex(Calls.Bounded());
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"p{i}" });
            Assert.True(await call.ResponseStream.MoveNext());
        }
        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.Cancelled, FailMessage = "server gave up" });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Equal("server gave up", e.Status.Detail);
        var late = await Assert.ThrowsAsync<RpcException>(async () => await call.RequestStream.WriteAsync(new EchoRequest()));
        Assert.Equal(StatusCode.Cancelled, late.StatusCode);
    }

    [Fact]
    public async Task Eight_MiB_messages_both_ways()
    {
        var payload = InteropService.Pattern(8 * 1024 * 1024 - 16);
        var response = await _client.UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload) }, Calls.Bounded(seconds: 60));
        Assert.Equal(payload, response.Payload.ToByteArray());
    }

    [Fact]
    public async Task Response_over_our_receive_limit_is_resource_exhausted()
    {
        using var small = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { MaxReceiveMessageSize = 1024 });
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            new Interop.InteropClient(small).UnaryAsync(new EchoRequest { ResponseSize = 4096 }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Gzip_compressed_requests_are_decoded_by_grpc_js()
    {
        using var gzip = GrpcChannel.ForAddress(_address, new GrpcChannelOptions());
        var client = new Interop.InteropClient(gzip);
        var payload = new byte[300_000];
        Array.Fill(payload, (byte)'z');
        var response = await client.UnaryAsync(new EchoRequest { Text = "gz", Payload = ByteString.CopyFrom(payload) }, Calls.Bounded(Calls.GzipRequests()));
        Assert.Equal(payload, response.Payload.ToByteArray());

        using var call = client.ClientStream(Calls.Bounded(Calls.GzipRequests()));
        for (var i = 0; i < 5; i++) await call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload) });
        await call.RequestStream.CompleteAsync();
        Assert.Equal(5 * 300_000, (await call).TotalBytes);
    }
}
