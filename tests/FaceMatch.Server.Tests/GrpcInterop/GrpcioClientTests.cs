using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Core;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>
/// Python's grpcio 1.51 (C-core: a third implementation, neither .NET nor JavaScript) as the client of the
/// FaceMatch host, through tests/interop/python/client.py with messages that Debian's protoc generates here.
/// </summary>
public sealed class GrpcioClientTests : IClassFixture<GrpcioClientTests.Stubs>
{
    private readonly Stubs _stubs;

    public GrpcioClientTests(Stubs stubs) => _stubs = stubs;

    /// <summary>Python message modules for the interop, health and reflection protos, generated once per class.</summary>
    public sealed class Stubs : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("fm-grpcio-").FullName;

        public Stubs()
        {
            var protos = Path.Combine(TestPaths.RepoRoot, "tests", "interop", "protos");
            var psi = new ProcessStartInfo("protoc", ["-I", protos, "--python_out=" + Directory,
                "interop.proto", "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto"]) { RedirectStandardError = true };
            using var protoc = Process.Start(psi) ?? throw new InvalidOperationException("protoc did not start (make deps installs protobuf-compiler)");
            var stderr = protoc.StandardError.ReadToEnd();
            protoc.WaitForExit();
            if (protoc.ExitCode != 0) throw new InvalidOperationException("protoc failed: " + stderr);
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private Task<JsonElement> Run(GrpcTestServer server, string scenario, string arg = "") =>
        PeerProcess.RunPythonAsync("client.py", "--target", server.Target, "--scenario", scenario, "--stubs", _stubs.Directory, "--arg", arg);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Unary_with_ascii_and_binary_metadata_both_ways()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "unary");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        Assert.Equal("hello from grpcio", r.GetProperty("response").GetProperty("text").GetString());
        Assert.Equal(Sha(InteropService.Pattern(1000)), r.GetProperty("response").GetProperty("payload_sha256").GetString());
        var binary = "b64:" + Convert.ToBase64String(new byte[] { 0, 1, 2, 250, 255 });
        Assert.Equal("dave", r.GetProperty("headers").GetProperty("x-user")[0].GetString());
        Assert.Equal(binary, r.GetProperty("headers").GetProperty("x-data-bin")[0].GetString());
        Assert.Equal(binary, r.GetProperty("trailers").GetProperty("x-trailer-data-bin")[0].GetString());
    }

    [Fact]
    public async Task Client_server_and_bidirectional_streams()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var client = await Run(server, "client_stream");
        Assert.Equal(10, client.GetProperty("response").GetProperty("message_count").GetInt32());
        Assert.Equal(10_000, client.GetProperty("response").GetProperty("total_bytes").GetInt64());

        var stream = await Run(server, "server_stream");
        Assert.Equal(Enumerable.Range(0, 30), stream.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("index").GetInt32()));

        var duplex = await Run(server, "duplex");
        Assert.Equal(0, duplex.GetProperty("code").GetInt32());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"ping {i}#{i}"), duplex.GetProperty("echoes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Deadline_and_cancellation_reach_the_handler()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var late = Guid.NewGuid().ToString();
        var deadline = await Run(server, "deadline", late);
        Assert.True(deadline.GetProperty("first_message").GetBoolean());
        Assert.Equal((int)StatusCode.DeadlineExceeded, deadline.GetProperty("code").GetInt32());
        await server.Interop.WhenCancelled(late).WaitAsync(TimeSpan.FromSeconds(20));

        var cancelled = Guid.NewGuid().ToString();
        var cancel = await Run(server, "cancel", cancelled);
        Assert.Equal((int)StatusCode.Cancelled, cancel.GetProperty("code").GetInt32());
        await server.Interop.WhenCancelled(cancelled).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Gzip_both_ways()
    {
        await using var server = await GrpcTestServer.StartAsync(s => s with { ResponseCompression = "gzip" });
        var r = await Run(server, "compress");
        Assert.Equal(0, r.GetProperty("code").GetInt32());
        Assert.Equal("gzip", r.GetProperty("response").GetProperty("request_encoding").GetString());
        Assert.Equal(Sha(InteropService.Pattern(200_000)), r.GetProperty("response").GetProperty("payload_sha256").GetString());
    }

    [Fact]
    public async Task A_message_over_the_limit_is_resource_exhausted_and_one_at_it_is_not()
    {
        const int limit = 1024 * 1024;
        await using var server = await GrpcTestServer.StartAsync(s => s with { MaxReceiveMessageBytes = limit, MaxSendMessageBytes = limit });
        var at = await Run(server, "large", limit.ToString());
        Assert.Equal(0, at.GetProperty("code").GetInt32());
        Assert.Equal(at.GetProperty("sent_payload_len").GetInt32(), at.GetProperty("response").GetProperty("payload_len").GetInt32());
        var over = await Run(server, "large", (limit + 1).ToString());
        Assert.Equal((int)StatusCode.ResourceExhausted, over.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Errors_arrive_as_status_and_utf8_message()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await Run(server, "fail", $"{(int)StatusCode.InvalidArgument}:image not decodable: 100% ✗");
        Assert.Equal((int)StatusCode.InvalidArgument, r.GetProperty("code").GetInt32());
        Assert.Equal("image not decodable: 100% ✗", r.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Health_and_reflection_answer_grpcio()
    {
        await using var server = await GrpcTestServer.StartAsync();
        Assert.Equal("SERVING", (await Run(server, "health")).GetProperty("status").GetString());
        var listed = await Run(server, "reflection");
        Assert.Equal(
            ["facematch.interop.v1.Interop", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
            listed.GetProperty("services").EnumerateArray().Select(s => s.GetString()));
    }
}
