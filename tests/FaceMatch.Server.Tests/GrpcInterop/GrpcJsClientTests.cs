using InteropTestService.V1;
using System.Security.Cryptography;
using System.Text.Json;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>grpc-js 1.14.7 (an independent implementation) as the client of our server.</summary>
public sealed class GrpcJsClientTests
{
    private static async Task<JsonElement> Run(GrpcTestServer server, string scenario, string arg = "") =>
        await PeerProcess.RunAsync("client.mjs", "--target", server.Target, "--scenario", scenario, "--arg", arg);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Unary_with_ascii_and_binary_metadata_round_trips()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "unary");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        var response = r.GetProperty("response");
        Assert.Equal("hello from grpc-js", response.GetProperty("text").GetString());
        Assert.Equal(Sha(InteropService.Pattern(1000)), response.GetProperty("payload_sha256").GetString());
        var binary = "b64:" + Convert.ToBase64String(new byte[] { 0, 1, 2, 250, 255 });
        Assert.Equal("alice", r.GetProperty("headers").GetProperty("x-user")[0].GetString());
        Assert.Equal(binary, r.GetProperty("headers").GetProperty("x-data-bin")[0].GetString());
        Assert.Equal("alice", r.GetProperty("trailers").GetProperty("x-trailer-user")[0].GetString());
        Assert.Equal(binary, r.GetProperty("trailers").GetProperty("x-trailer-data-bin")[0].GetString());
    }

    [Fact]
    public async Task Client_streaming_counts_every_message()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "client_stream");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        var response = r.GetProperty("response");
        Assert.Equal(10, response.GetProperty("message_count").GetInt32());
        Assert.Equal("10000", response.GetProperty("total_bytes").GetString());
        Assert.Equal("0,1,2,3,4,5,6,7,8,9", response.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Server_streaming_delivers_all_responses_in_order()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "server_stream");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        var messages = r.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(0, 30), messages.Select(m => m.GetProperty("index").GetInt32()));
        Assert.All(messages, m => Assert.Equal(Sha(InteropService.Pattern(300)), m.GetProperty("payload_sha256").GetString()));
    }

    [Fact]
    public async Task Duplex_ping_pong_interleaves_and_ends_ok()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "duplex");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        Assert.True(r.GetProperty("ended").GetBoolean());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"ping {i}#{i}"),
            r.GetProperty("echoes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Deadline_gives_deadline_exceeded_and_cancels_the_handler()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var tag = Guid.NewGuid().ToString();
        var r = await Run(server, "deadline", tag);
        Assert.True(r.GetProperty("first_message").GetBoolean());
        Assert.Equal((int)StatusCode.DeadlineExceeded, r.GetProperty("code").GetInt32());
        await server.Interop.WhenCancelled(tag).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Client_cancel_reaches_the_handler_token()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var tag = Guid.NewGuid().ToString();
        var r = await Run(server, "cancel", tag);
        Assert.Equal((int)StatusCode.Cancelled, r.GetProperty("code").GetInt32());
        await server.Interop.WhenCancelled(tag).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Server_side_cancellation_mid_stream_reaches_grpc_js()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "server_cancel");
        Assert.Equal((int)StatusCode.Cancelled, r.GetProperty("code").GetInt32());
        Assert.Equal("server gave up", r.GetProperty("details").GetString());
        Assert.Equal(["ping 0", "ping 1", "ping 2"], r.GetProperty("echoes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Eight_MiB_message_is_accepted_when_the_limit_allows_it()
    {
        const int eightMiB = 8 * 1024 * 1024;
        await using var server = await GrpcTestServer.StartAsync(s => s with { MaxReceiveMessageBytes = eightMiB, MaxSendMessageBytes = eightMiB });
        var r = await Run(server, "large", eightMiB.ToString());
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        var sent = r.GetProperty("sent_payload_len").GetInt32();
        Assert.Equal(sent, r.GetProperty("response").GetProperty("payload_len").GetInt32());
        Assert.Equal(Sha(Enumerable.Repeat((byte)7, sent).ToArray()), r.GetProperty("response").GetProperty("payload_sha256").GetString());
    }

    [Fact]
    public async Task Message_over_the_limit_is_resource_exhausted()
    {
        const int eightMiB = 8 * 1024 * 1024;
        await using var server = await GrpcTestServer.StartAsync(s => s with { MaxReceiveMessageBytes = eightMiB, MaxSendMessageBytes = eightMiB });
        var r = await Run(server, "large", (eightMiB + 1).ToString());
        Assert.Equal((int)StatusCode.ResourceExhausted, r.GetProperty("code").GetInt32());
        Assert.Contains("maximum configured message size", r.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Default_limit_of_4_MiB_rejects_8_MiB()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "large", (8 * 1024 * 1024).ToString());
        Assert.Equal((int)StatusCode.ResourceExhausted, r.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Gzip_compression_works_both_ways()
    {
        await using var server = await GrpcTestServer.StartAsync(s => s with { ResponseCompression = "gzip" });
        var r = await Run(server, "compress");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        var response = r.GetProperty("response");
        Assert.Equal("gzip", response.GetProperty("request_encoding").GetString());
        Assert.Equal(200_000, response.GetProperty("payload_len").GetInt32());
        Assert.Equal(Sha(InteropService.Pattern(200_000)), response.GetProperty("payload_sha256").GetString());
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "image not decodable: 100% garbage ✗")]
    [InlineData(StatusCode.PermissionDenied, "admin token on FaceMatch")]
    [InlineData(StatusCode.NotFound, "template not found")]
    public async Task Error_status_and_percent_encoded_message_are_read_by_grpc_js(StatusCode code, string message)
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "error", $"{(int)code}:{message}");
        Assert.Equal((int)code, r.GetProperty("code").GetInt32());
        Assert.Equal(message, r.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Unhandled_exception_is_internal_and_hides_the_exception()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "internal");
        Assert.Equal((int)StatusCode.Internal, r.GetProperty("code").GetInt32());
        Assert.Equal("internal error", r.GetProperty("details").GetString());
        // The operator's log has what happened, the client nothing of it.
        Assert.Contains(server.Log.Lines, l => l.Contains("Interop/Unary: unexpected System.InvalidOperationException"));
    }

    [Fact]
    public async Task Unbound_and_unknown_methods_are_unimplemented()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "unimplemented");
        Assert.Equal((int)StatusCode.Unimplemented, r.GetProperty("not_bound").GetProperty("code").GetInt32());
        Assert.Equal((int)StatusCode.Unimplemented, r.GetProperty("unknown").GetProperty("code").GetInt32());
    }
}
