using InteropTestService.V1;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using Google.Protobuf;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>
/// Grpc.Net.Client against the FaceMatch host over loopback h2c: every call type, metadata, status, deadline and
/// cancellation, and what the call pipeline adds (exception mapping, one log line per call without personal data).
/// </summary>
public sealed class GrpcNetClientTests : IAsyncLifetime
{
    private GrpcTestServer _server = null!;
    private GrpcChannel _channel = null!;
    private Interop.InteropClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await GrpcTestServer.StartAsync();
        _channel = _server.CreateChannel();
        _client = new Interop.InteropClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Unary_echoes_message_and_carries_ascii_and_binary_metadata_both_ways()
    {
        var binary = new byte[] { 0, 1, 2, 250, 255 };
        var headers = new Metadata { { "x-user", "alice" }, { "x-data-bin", binary } };
        using var call = _client.UnaryAsync(new EchoRequest { Text = "hello", Payload = ByteString.CopyFrom(binary) }, Calls.Bounded(headers));
        var response = await call;
        Assert.Equal("hello", response.Text);
        Assert.Equal(binary, response.Payload.ToByteArray());
        var responseHeaders = await call.ResponseHeadersAsync;
        Assert.Equal("alice", responseHeaders.GetValue("x-user"));
        Assert.Equal(binary, responseHeaders.GetValueBytes("x-data-bin"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("alice", call.GetTrailers().GetValue("x-trailer-user"));
        Assert.Equal(binary, call.GetTrailers().GetValueBytes("x-trailer-data-bin"));
    }

    [Fact]
    public async Task Client_streaming_delivers_every_message_in_order()
    {
        using var call = _client.ClientStream(Calls.Bounded());
        for (var i = 0; i < 20; i++)
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[1000]) });
        await call.RequestStream.CompleteAsync();
        var response = await call;
        Assert.Equal(20, response.MessageCount);
        Assert.Equal(20_000, response.TotalBytes);
        Assert.Equal(string.Join(",", Enumerable.Range(0, 20)), response.Text);
    }

    [Fact]
    public async Task Server_streaming_delivers_every_response_then_status_ok()
    {
        using var call = _client.ServerStream(new EchoRequest { Text = "s", ResponseCount = 50, ResponseSize = 300 }, Calls.Bounded());
        var indexes = new List<int>();
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(InteropService.Pattern(300), r.Payload.ToByteArray());
            indexes.Add(r.Index);
        }
        Assert.Equal(Enumerable.Range(0, 50), indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Duplex_answers_each_message_before_the_next_is_sent()
    {
        using var call = _client.Duplex(Calls.Bounded());
        for (var i = 0; i < 25; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"ping {i}" });
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal($"ping {i}", call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "image not decodable: 100% garbage ✗")]
    [InlineData(StatusCode.NotFound, "template not found")]
    [InlineData(StatusCode.Unauthenticated, "")]
    public async Task Handler_status_reaches_the_client_with_its_message(StatusCode code, string message)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new EchoRequest { FailCode = (int)code, FailMessage = message }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status.Detail);
    }

    [Fact]
    public async Task Error_after_streamed_messages_arrives_in_trailers()
    {
        using var call = _client.ServerStream(new EchoRequest { ResponseCount = 3, FailCode = (int)StatusCode.Aborted, FailMessage = "late" }, Calls.Bounded());
        var received = 0;
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext()) received++;
        });
        Assert.Equal(3, received);
        Assert.Equal(StatusCode.Aborted, e.StatusCode);
        Assert.Equal("late", e.Status.Detail);
    }

    [Fact]
    public async Task Unhandled_exception_is_internal_without_leaking_its_message()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new EchoRequest { ThrowInternal = true }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Equal("internal error", e.Status.Detail);
    }

    [Fact]
    public async Task An_undecodable_image_is_invalid_argument_with_the_decoder_reason()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new EchoRequest { ThrowLibrary = "decode" }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("image not decodable: ", e.Status.Detail);
        Assert.Contains(InteropService.DecodeFailureText, e.Status.Detail);
    }

    [Fact]
    public async Task A_full_model_queue_is_resource_exhausted_from_unary_and_streaming_calls()
    {
        var unary = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new EchoRequest { ThrowLibrary = "overload" }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, unary.StatusCode);

        using var duplex = _client.Duplex(Calls.Bounded());
        await duplex.RequestStream.WriteAsync(new EchoRequest { Text = "fine" });
        Assert.True(await duplex.ResponseStream.MoveNext());
        await duplex.RequestStream.WriteAsync(new EchoRequest { ThrowLibrary = "overload" });
        var streaming = await Assert.ThrowsAsync<RpcException>(async () => await duplex.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, streaming.StatusCode);
        Assert.DoesNotContain("detector", streaming.Status.Detail);
    }

    [Fact]
    public async Task Every_call_is_logged_once_with_method_status_and_duration_and_nothing_of_the_caller()
    {
        var secret = "Bearer tok_" + Guid.NewGuid().ToString("N");
        var headers = new Metadata { { "authorization", secret }, { "x-device", "device-1234-5678" } };
        await _client.UnaryAsync(new EchoRequest { Text = "logged" }, Calls.Bounded(headers));
        await Assert.ThrowsAsync<RpcException>(() => _client.UnaryAsync(new EchoRequest { FailCode = 5, FailMessage = "x" }, Calls.Bounded(headers)).ResponseAsync);

        var lines = _server.Log.Lines.Where(l => l.Contains("call facematch.interop.v1.Interop/Unary ended")).ToArray();
        Assert.Contains(lines, l => l.Contains("ended OK in "));
        Assert.Contains(lines, l => l.Contains("ended NotFound in "));
        var log = _server.Log.Text;
        Assert.DoesNotContain(secret, log);
        Assert.DoesNotContain("tok_", log);
        Assert.DoesNotContain("device-1234-5678", log);
        Assert.DoesNotContain("127.0.0.1", log);
    }

    [Fact]
    public async Task Unbound_and_unknown_methods_are_unimplemented()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _client.NotBoundAsync(new EchoRequest(), Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);

        var unknown = new Method<EchoRequest, EchoResponse>(MethodType.Unary, "no.such.Service", "Nothing",
            Marshallers.Create(m => m.ToByteArray(), EchoRequest.Parser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), EchoResponse.Parser.ParseFrom));
        var e2 = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.CreateCallInvoker().AsyncUnaryCall(unknown, null, Calls.Bounded(), new EchoRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e2.StatusCode);
    }

    [Fact]
    public async Task Deadline_ends_the_call_and_cancels_the_handler()
    {
        // The first response proves the handler runs; it then hangs until the 2 s deadline cancels it.
        var tag = Guid.NewGuid().ToString();
        using var call = _client.ServerStream(new EchoRequest { Text = tag, Hang = true }, Calls.Bounded(seconds: 2));
        Assert.True(await call.ResponseStream.MoveNext());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await _server.Interop.WhenCancelled(tag).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Client_cancellation_resets_the_stream_and_reaches_the_handler_token()
    {
        var tag = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        using var call = _client.ServerStream(new EchoRequest { Text = tag, Hang = true }, Calls.Bounded(token: cts.Token));
        Assert.True(await call.ResponseStream.MoveNext());
        await _server.Interop.WhenStarted(tag).WaitAsync(TimeSpan.FromSeconds(20));
        cts.Cancel();
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        await _server.Interop.WhenCancelled(tag).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Oversized_message_mid_stream_fails_the_call_with_resource_exhausted()
    {
        using var call = _client.ClientStream(Calls.Bounded());
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "small" });
        try
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[5 * 1024 * 1024]) });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException e)
        {
            Assert.True(e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Cancelled, e.Status.ToString());
        }
        // The server answers RESOURCE_EXHAUSTED and resets the unread rest of the stream; whether the client reads
        // the trailers before it sees the reset is a race on its side (then it reports CANCELLED). The server's own
        // account of the call is not.
        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.True(failure.StatusCode is StatusCode.ResourceExhausted or StatusCode.Cancelled, failure.Status.ToString());
        Assert.Contains(_server.Log.Lines, l => l.Contains("call facematch.interop.v1.Interop/ClientStream ended ResourceExhausted"));
    }

    [Fact]
    public async Task Our_send_limit_refuses_before_sending()
    {
        using var small = _server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 100 });
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            new Interop.InteropClient(small).UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[1000]) }, Calls.Bounded()).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }
}
