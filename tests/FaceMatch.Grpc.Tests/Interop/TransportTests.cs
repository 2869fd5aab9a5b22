using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Tests.Interop;
using FaceMatch.Grpc.Tests.Support;
using Google.Protobuf;

namespace FaceMatch.Grpc.Tests.InteropTests;

/// <summary>
/// The wire itself, seen through .NET's plain HTTP/2 client (no gRPC code of ours on the client side):
/// Trailers-Only errors, compressed frames, server-enforced deadlines, request validation; plus TLS and
/// connection fan-out.
/// </summary>
public sealed class TransportTests
{
    private static HttpClient RawClient() => new(new SocketsHttpHandler());

    private static HttpRequestMessage RawCall(GrpcTestServer server, string path, byte[] body, string contentType = "application/grpc")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Host.LocalAddress, path))
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    /// <summary>A gRPC frame built by hand: flag, big-endian length, payload.</summary>
    private static byte[] Frame(IMessage message, bool compressedFlag = false)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        frame[0] = compressedFlag ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static string? Header(HttpHeaders headers, string name) => headers.TryGetValues(name, out var v) ? v.First() : null;

    [Fact]
    public async Task Error_before_any_message_is_a_trailers_only_response()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(RawCall(server, "/facematch.interop.v1.Interop/Unary",
            Frame(new EchoRequest { FailCode = 5, FailMessage = "gone 100%" })), cts.Token);
        var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("5", Header(response.Headers, "grpc-status"));
        Assert.Equal("gone 100%25", Header(response.Headers, "grpc-message"));
        Assert.Empty(body);
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task Successful_unary_sends_headers_message_then_status_in_trailers()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(RawCall(server, "/facematch.interop.v1.Interop/Unary", Frame(new EchoRequest { Text = "raw" })), cts.Token);
        var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.Null(Header(response.Headers, "grpc-status"));
        Assert.Equal(0, body[0]);
        Assert.Equal((uint)(body.Length - 5), BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)));
        Assert.Equal("raw", EchoResponse.Parser.ParseFrom(body.AsSpan(5)).Text);
        Assert.Equal("0", Header(response.TrailingHeaders, "grpc-status"));
    }

    [Fact]
    public async Task Gzip_response_frames_carry_the_compressed_flag_and_gzip_bytes()
    {
        await using var server = await GrpcTestServer.StartAsync(o => o.ResponseCompression = "gzip");
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var request = RawCall(server, "/facematch.interop.v1.Interop/Unary", Frame(new EchoRequest { ResponseSize = 50_000 }));
        request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "gzip");
        using var response = await http.SendAsync(request, cts.Token);
        var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.Equal("gzip", Header(response.Headers, "grpc-encoding"));
        Assert.Equal(1, body[0]);
        Assert.Equal(0x1f, body[5]);
        Assert.Equal(0x8b, body[6]);
        Assert.True(body.Length < 50_000, $"compressed body is {body.Length} bytes");
        using var gunzip = new System.IO.Compression.GZipStream(new MemoryStream(body, 5, body.Length - 5), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal(InteropService.Pattern(50_000), EchoResponse.Parser.ParseFrom(gunzip).Payload.ToByteArray());
    }

    [Fact]
    public async Task Responses_stay_uncompressed_for_clients_that_do_not_accept_gzip()
    {
        await using var server = await GrpcTestServer.StartAsync(o => o.ResponseCompression = "gzip");
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(RawCall(server, "/facematch.interop.v1.Interop/Unary", Frame(new EchoRequest { ResponseSize = 1000 })), cts.Token);
        var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.Null(Header(response.Headers, "grpc-encoding"));
        Assert.Equal(0, body[0]);
    }

    [Fact]
    public async Task Server_ends_the_call_at_its_deadline_even_if_the_handler_ignores_the_token()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var tag = Guid.NewGuid().ToString();
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var request = RawCall(server, "/facematch.interop.v1.Interop/Unary",
            Frame(new EchoRequest { Text = tag, Hang = true, IgnoreCancellation = true }));
        request.Headers.TryAddWithoutValidation("grpc-timeout", "200m");
        using var response = await http.SendAsync(request, cts.Token);
        await response.Content.ReadAsByteArrayAsync(cts.Token);
        var status = Header(response.Headers, "grpc-status") ?? Header(response.TrailingHeaders, "grpc-status");
        Assert.Equal("4", status);
        // The handler sleeps for seconds ignoring its token: the status came from the server's deadline, not from it.
        Assert.False(server.Interop.HasFinished(tag));
    }

    [Theory]
    [InlineData("snappy", "12")]
    [InlineData("gzip", "13")]
    public async Task Bad_request_encodings_are_refused_with_a_reason(string encoding, string expectedStatus)
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // Flagged compressed, but the bytes are not gzip: with grpc-encoding gzip that is INTERNAL; snappy is unsupported.
        var request = RawCall(server, "/facematch.interop.v1.Interop/Unary", Frame(new EchoRequest { Text = "x" }, compressedFlag: true));
        request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        using var response = await http.SendAsync(request, cts.Token);
        await response.Content.ReadAsByteArrayAsync(cts.Token);
        var status = Header(response.Headers, "grpc-status") ?? Header(response.TrailingHeaders, "grpc-status");
        Assert.Equal(expectedStatus, status);
        Assert.Contains("gzip", Header(response.Headers, "grpc-accept-encoding"));
    }

    [Fact]
    public async Task Non_grpc_content_type_is_refused_with_415()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var http = RawClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(RawCall(server, "/facematch.interop.v1.Interop/Unary", [1, 2, 3], "application/json"), cts.Token);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Client_opens_more_connections_when_the_server_caps_streams_per_connection()
    {
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxConcurrentStreams = 2);
        using var channel = server.CreateChannel();
        var client = new InteropClient(channel);
        var calls = new List<AsyncDuplexStreamingCall<EchoRequest, EchoResponse>>();
        try
        {
            // Six calls held open at once: each is answered before the next starts, and none finishes.
            for (var i = 0; i < 6; i++)
            {
                var call = client.Duplex(InteropClient.Bounded());
                calls.Add(call);
                await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString() });
                Assert.True(await call.ResponseStream.MoveNext());
            }
            Assert.True(server.Interop.Connections.Count >= 3, $"{server.Interop.Connections.Count} connections for 6 streams at 2 per connection");
        }
        finally
        {
            foreach (var c in calls)
            {
                await c.RequestStream.CompleteAsync();
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_burst_over_the_stream_limit_fails_fast_as_unavailable_or_succeeds_never_hangs()
    {
        // Six calls at the same instant on a fresh channel, server allowing 2 streams per connection: streams
        // the server refuses are retried by the handler while the call has not written yet, else end as
        // UNAVAILABLE (retryable), well before the 10 s deadline.
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxConcurrentStreams = 2);
        using var channel = server.CreateChannel();
        var client = new InteropClient(channel);
        var calls = Enumerable.Range(0, 6).Select(_ => client.Duplex(InteropClient.Bounded(seconds: 10))).ToArray();
        var outcomes = await Task.WhenAll(calls.Select(async (c, i) =>
        {
            try
            {
                await c.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString() });
                return await c.ResponseStream.MoveNext() ? StatusCode.OK : StatusCode.Unknown;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }));
        foreach (var c in calls) c.Dispose();
        Assert.All(outcomes, o => Assert.Contains(o, new[] { StatusCode.OK, StatusCode.Unavailable }));
        Assert.True(outcomes.Count(o => o == StatusCode.OK) >= 2, string.Join(", ", outcomes));
    }

    [Fact]
    public async Task Tls_with_alpn_h2_serves_our_client_and_grpc_js()
    {
        var dir = Directory.CreateTempSubdirectory("facematch-tls-");
        try
        {
            var (certPath, keyPath) = WriteSelfSignedPem(dir.FullName);
            using var certificate = PemCertificateLoader.Load(certPath, keyPath);
            await using var server = await GrpcTestServer.StartAsync(certificate: certificate);
            Assert.Equal("https", server.Host.LocalAddress.Scheme);

            using var channel = server.CreateChannel(new GrpcChannelOptions
            {
                RemoteCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
            });
            var response = await new InteropClient(channel).Unary(new EchoRequest { Text = "over tls" }, InteropClient.Bounded());
            Assert.Equal("over tls", response.Text);

            var js = await PeerProcess.RunAsync("client.mjs", "--target", server.Target, "--scenario", "unary", "--ca", certPath);
            Assert.Equal(0, js.GetProperty("code").GetInt32());
            Assert.Equal("hello from grpc-js", js.GetProperty("response").GetProperty("text").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Pem_loader_explains_missing_files()
    {
        var e = Assert.Throws<FileNotFoundException>(() => PemCertificateLoader.Load("/nonexistent/cert.pem", "/nonexistent/key.pem"));
        Assert.Contains("/nonexistent/cert.pem", e.Message);
    }

    private static (string Cert, string Key) WriteSelfSignedPem(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dir, "server.crt");
        var keyPath = Path.Combine(dir, "server.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
