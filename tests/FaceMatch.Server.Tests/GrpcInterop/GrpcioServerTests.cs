using System.Collections.Concurrent;

using InteropTestService.V1;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using Google.Protobuf;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>
/// Our client against Python's grpcio 1.51 (C-core, a third implementation), whose server gzip-compresses
/// every response: proves our client decodes compressed responses from a peer that really compresses.
/// </summary>
public sealed class GrpcioServerTests : IAsyncLifetime
{
    private PeerProcess _python = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        _python = PeerProcess.StartPython("echo_server.py");
        var ready = await _python.ReadJsonLineAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("grpcio server exited: " + _python.Stderr);
        _address = new Uri($"http://127.0.0.1:{ready.GetProperty("port").GetInt32()}");
    }

    public async Task DisposeAsync() => await _python.DisposeAsync();

    /// <summary>Sees each response's grpc-encoding header on the wire (our gRPC code strips it from metadata).</summary>
    private sealed class EncodingRecorder() : DelegatingHandler(new SocketsHttpHandler())
    {
        public ConcurrentQueue<string> Encodings { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Encodings.Enqueue(response.Headers.TryGetValues("grpc-encoding", out var v) ? v.First() : "identity");
            return response;
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("gzip")]
    public async Task Gzip_responses_from_grpcio_are_decoded(string? requestCompression)
    {
        using var recorder = new EncodingRecorder();
        using var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { HttpHandler = recorder });
        var client = new Interop.InteropClient(channel);
        var payload = InteropService.Pattern(500_000);
        var binary = new byte[] { 1, 2, 3, 0, 255 };
        using var call = client.UnaryAsync(new EchoRequest { Text = "to grpcio", Payload = ByteString.CopyFrom(payload) },
            Calls.Bounded(new Metadata { { "x-user", "carol" }, { "x-blob-bin", binary } }.WithRequestCompression(requestCompression)));
        var response = await call;
        Assert.Equal("to grpcio", response.Text);
        Assert.Equal(payload, response.Payload.ToByteArray());
        Assert.Equal("carol", (await call.ResponseHeadersAsync).GetValue("x-user"));
        Assert.Equal(binary, (await call.ResponseHeadersAsync).GetValueBytes("x-blob-bin"));
        Assert.Equal(binary, call.GetTrailers().GetValueBytes("x-trailer-blob-bin"));
        Assert.Equal("gzip", Assert.Single(recorder.Encodings));
    }

    [Fact]
    public async Task Gzip_server_stream_from_grpcio_is_decoded()
    {
        using var channel = GrpcChannel.ForAddress(_address);
        using var call = new Interop.InteropClient(channel).ServerStream(new EchoRequest { Text = "s", Payload = ByteString.CopyFrom(new byte[70_000]) }, Calls.Bounded());
        var count = 0;
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(70_000, r.Payload.Length);
            count++;
        }
        Assert.Equal(3, count);
    }
}
