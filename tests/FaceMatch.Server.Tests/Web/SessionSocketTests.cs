using System.Net;
using System.Net.WebSockets;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Web;

/// <summary>
/// The WebSocket session endpoint of a real `facematch serve`, driven by .NET's ClientWebSocket: it runs the same
/// sessions as the gRPC streams (a template enrolled over one authenticates over the other, with the same score), ends
/// bad sessions with the gRPC statuses the same input gets over gRPC, and lets only its own or listed origins in.
/// </summary>
[Collection(HttpServiceCollection.Name)]
public sealed class SessionSocketTests(HttpServiceFixture fixture)
{
    private static byte[] Photo(int person = 0, int photo = 0) => File.ReadAllBytes(ServiceFixture.People(photos: 2)[person].Photos[photo]);

    private async Task<SocketSession.Outcome> Socket(string kind, string? token, SessionStart start, IEnumerable<byte[]> frames)
    {
        await using var session = await SocketSession.ConnectAsync(fixture.SocketAddress(kind), token);
        return await session.RunAsync(start, frames);
    }

    [Fact]
    public async Task A_websocket_session_enrolls_and_its_template_authenticates_over_either_transport_with_one_score()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = Photo();
        var enrolled = await Socket("enroll", token, new SessionStart { Device = new DeviceInfo { DeviceId = "ws-device-51c2", SdkVersion = "ws-test" } },
            Enumerable.Repeat(photo, 3));
        Assert.Null(enrolled.Error);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, enrolled.Close);
        Assert.True(enrolled.Result!.Enrolled, enrolled.Result.Reason);
        Assert.Equal(3, enrolled.Feedback.Count);
        Assert.Equal([0u, 1u, 2u], enrolled.Feedback.Select(f => f.FrameIndex));
        Assert.All(enrolled.Feedback, f =>
        {
            Assert.True(f.FaceFound);
            Assert.InRange(f.FaceBox.Width, 0.05f, 1f);
            Assert.InRange(f.Quality, 0.3f, 1f);
        });

        var probe = Photo(photo: 1);
        var overSocket = await Socket("authenticate", token, new SessionStart { TemplateId = enrolled.Result.TemplateId }, [probe]);
        var overGrpc = await SessionDriver.RunAsync(fixture.Client.Authenticate(ServiceFixture.As(token)),
            new SessionStart { TemplateId = enrolled.Result.TemplateId }, [probe]);
        Assert.True(overSocket.Result!.Match, $"{overSocket.Result.MatchScore} {overSocket.Result.Reason}");
        Assert.Equal(overGrpc.Result.MatchScore, overSocket.Result.MatchScore);
        Assert.Equal(overGrpc.Feedback.Single().Quality, overSocket.Feedback.Single().Quality);

        var identified = await Socket("identify", token, new SessionStart { TopK = 3 }, [probe]);
        Assert.Equal(enrolled.Result.TemplateId, identified.Result!.Candidates.First().TemplateId);

        // Usage records count these sessions like any other; the log has one line each and no token or device id.
        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, fixture.AsAdmin());
        Assert.Equal(4ul, usage.Sessions);
        Assert.Equal(4ul, usage.SessionsByOutcome["ok"]);
        Assert.Contains(fixture.Serve.Lines, l => l.Contains("websocket session enroll ended OK"));
        Assert.DoesNotContain(fixture.Serve.Lines, l => l.Contains(token) || l.Contains("ws-device-51c2"));
    }

    [Fact]
    public async Task A_client_that_closes_before_the_result_cancels_the_session_and_nothing_is_stored()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        await using (var session = await SocketSession.ConnectAsync(fixture.SocketAddress("enroll"), token))
        {
            await session.SendStartAsync(new SessionStart());
            await session.SendFrameAsync(Photo(), 1);
            Assert.True((await session.ReceiveAsync())!.Value.TryGetProperty("feedback", out _));
            await session.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "gone", CancellationToken.None);
            Assert.Null(await session.ReceiveAsync());   // the server's close, and no result before it
            Assert.Equal((WebSocketCloseStatus)(4000 + (int)StatusCode.Cancelled), session.Socket.CloseStatus);
        }
        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, fixture.AsAdmin());
        Assert.Equal(0ul, usage.Templates);
        Assert.Equal(0ul, usage.Enrollments);
    }

    /// <summary>The same bad input over gRPC and over the socket: the same status code, and the same message where the runner wrote it.</summary>
    [Fact]
    public async Task Bad_sessions_end_with_the_status_the_same_input_gets_over_grpc()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = Photo();
        var notAnImage = "this is not a JPEG at all, just text"u8.ToArray();
        var oversized = new byte[3 * 1024 * 1024 + 1];

        async Task<RpcException> OverGrpc(string? bearer, Func<AsyncDuplexStreamingCall<SessionRequest, SessionEvent>, Task> send, string kind = "enroll")
        {
            var options = bearer is null ? new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)) : ServiceFixture.As(bearer);
            using var call = kind == "enroll" ? fixture.Client.Enroll(options) : fixture.Client.Authenticate(options);
            return await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await send(call);
                await call.RequestStream.CompleteAsync();
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            });
        }

        Task Frames(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionStart? start, params byte[][] frames) =>
            Send(call, start, frames);

        async Task Send(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionStart? start, byte[][] frames)
        {
            try
            {
                if (start is not null) await call.RequestStream.WriteAsync(new SessionRequest { Start = start });
                foreach (var f in frames) await call.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(f), CaptureTimeMs = 1 } });
            }
            catch (InvalidOperationException) { }   // the server already ended the call; its status is read next
            catch (RpcException) { }
        }

        async Task Same(RpcException grpc, SocketSession.Outcome socket, bool sameMessage = true)
        {
            Assert.Null(socket.Result);
            Assert.NotNull(socket.Error);
            Assert.Equal((int)grpc.StatusCode, socket.Error!.Code);
            Assert.Equal(grpc.StatusCode.ToString().ToUpperInvariant(), socket.Error.Status.Replace("_", ""));
            Assert.Equal((WebSocketCloseStatus)(4000 + (int)grpc.StatusCode), socket.Close);
            if (sameMessage) Assert.Equal(grpc.Status.Detail, socket.Error.Message);
            await Task.CompletedTask;
        }

        // No token, an unknown one, the admin's.
        await Same(await OverGrpc(null, c => Frames(c, new SessionStart(), photo)), await Socket("enroll", null, new SessionStart(), [photo]), sameMessage: false);
        var unknown = await OverGrpc("fm_not_a_real_token", c => Frames(c, new SessionStart(), photo));
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        await Same(unknown, await Socket("enroll", "fm_not_a_real_token", new SessionStart(), [photo]));
        var admin = await OverGrpc(fixture.AdminTokenValue, c => Frames(c, new SessionStart(), photo));
        Assert.Equal(StatusCode.PermissionDenied, admin.StatusCode);
        await Same(admin, await Socket("enroll", fixture.AdminTokenValue, new SessionStart(), [photo]));

        // A frame before start.
        var notStart = await OverGrpc(token, c => Frames(c, null, photo));
        Assert.Equal(StatusCode.InvalidArgument, notStart.StatusCode);
        await using (var session = await SocketSession.ConnectAsync(fixture.SocketAddress("enroll"), token))
        {
            await session.SendFrameAsync(photo, 1);
            var outcome = await session.RunAsync(new SessionStart(), []);
            await Same(notStart, outcome);
        }

        // Not an image; over the frame limit; a template that is not there.
        var undecodable = await OverGrpc(token, c => Frames(c, new SessionStart(), notAnImage));
        Assert.Equal(StatusCode.InvalidArgument, undecodable.StatusCode);
        await Same(undecodable, await Socket("enroll", token, new SessionStart(), [notAnImage]));
        var tooLarge = await OverGrpc(token, c => Frames(c, new SessionStart(), oversized));
        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        var tooLargeSocket = await Socket("enroll", token, new SessionStart(), [oversized]);
        await Same(tooLarge, tooLargeSocket, sameMessage: false);
        Assert.Contains("3145728-byte limit", tooLarge.Status.Detail);
        Assert.Contains("3145728-byte limit", tooLargeSocket.Error!.Message);
        var missing = await OverGrpc(token, c => Frames(c, new SessionStart { TemplateId = "no-such-template" }, photo), kind: "authenticate");
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        await Same(missing, await Socket("authenticate", token, new SessionStart { TemplateId = "no-such-template" }, [photo]));

        // What only the socket can get wrong: text that is no start or end, a binary message too short for its header.
        await using (var session = await SocketSession.ConnectAsync(fixture.SocketAddress("enroll"), token))
        {
            await session.SendTextAsync("{\"frame\": {}}");
            var outcome = await session.RunAsync(new SessionStart(), []);
            Assert.Equal("INVALID_ARGUMENT", outcome.Error!.Status);
            Assert.Contains("frames are binary messages", outcome.Error.Message);
        }
        await using (var session = await SocketSession.ConnectAsync(fixture.SocketAddress("enroll"), token))
        {
            await session.SendStartAsync(new SessionStart());
            await session.SendBinaryAsync([1, 2, 3]);
            var outcome = await session.RunAsync(new SessionStart(), []);
            Assert.Equal("INVALID_ARGUMENT", outcome.Error!.Status);
            Assert.Contains("8-byte big-endian capture_time_ms", outcome.Error.Message);
        }

        // After all of it, the server serves a good session.
        Assert.True((await Socket("enroll", token, new SessionStart(), Enumerable.Repeat(photo, 2))).Result!.Enrolled);
    }

    [Fact]
    public async Task Only_the_servers_own_origin_and_listed_ones_may_open_a_session()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var address = fixture.SocketAddress("enroll");

        using var foreign = SocketSession.NewSocket(token, origin: "https://attacker.example");
        await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(address, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);
        using var nullOrigin = SocketSession.NewSocket(token, origin: "null");
        await Assert.ThrowsAsync<WebSocketException>(() => nullOrigin.ConnectAsync(address, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, nullOrigin.HttpStatusCode);

        foreach (var origin in new[] { $"http://127.0.0.1:{fixture.HttpPort}", HttpServiceFixture.ListedOrigin })
        {
            await using var session = await SocketSession.ConnectAsync(address, token, origin);
            Assert.Equal("facematch.v1", session.Socket.SubProtocol);
            Assert.True((await session.RunAsync(new SessionStart(), [Photo()])).Result!.Enrolled);
        }

        // The handshake must offer the protocol; a plain request is no session; nothing else lives under the route.
        using var noProtocol = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        await Assert.ThrowsAsync<WebSocketException>(() => noProtocol.ConnectAsync(address, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, noProtocol.HttpStatusCode);
        using var http = new HttpClient { BaseAddress = fixture.HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("v1/sessions/enroll")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("v1/sessions/compare")).StatusCode);
    }
}
