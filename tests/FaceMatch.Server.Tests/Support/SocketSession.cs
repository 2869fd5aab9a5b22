using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FaceMatch.Api.V1;
using Google.Protobuf;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// A client of the WebSocket session endpoint written from its documented protocol with .NET's ClientWebSocket:
/// subprotocols <c>facematch.v1</c> and <c>facematch.bearer.&lt;token&gt;</c>, a JSON start, binary frames (8-byte
/// big-endian capture time, then the image), a JSON end; events parsed back with protobuf's JSON parser.
/// </summary>
public sealed class SocketSession : IAsyncDisposable
{
    public sealed record Error(int Code, string Status, string Message, long? RetryAfterMs);

    /// <summary>How a session ended: its feedback, then a result or an error, and the server's close code.</summary>
    public sealed record Outcome(IReadOnlyList<FrameFeedback> Feedback, SessionResult? Result, Error? Error, WebSocketCloseStatus? Close);

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private SocketSession(ClientWebSocket socket) => _socket = socket;

    public WebSocket Socket => _socket;

    public static ClientWebSocket NewSocket(string? token, string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol("facematch.v1");
        if (token is not null) socket.Options.AddSubProtocol("facematch.bearer." + token);
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        return socket;
    }

    public static async Task<SocketSession> ConnectAsync(Uri address, string? token, string? origin = null)
    {
        var socket = NewSocket(token, origin);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(address, timeout.Token);
        return new SocketSession(socket);
    }

    public Task SendStartAsync(SessionStart start) => SendTextAsync("{\"start\": " + JsonFormatter.Default.Format(start) + "}");

    public Task SendEndAsync() => SendTextAsync("{\"end\": {}}");

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, _timeout.Token);

    public Task SendFrameAsync(byte[] image, long captureTimeMs)
    {
        var message = new byte[8 + image.Length];
        BinaryPrimitives.WriteInt64BigEndian(message, captureTimeMs);
        image.CopyTo(message, 8);
        return SendBinaryAsync(message);
    }

    public Task SendBinaryAsync(byte[] message) => _socket.SendAsync(message, WebSocketMessageType.Binary, true, _timeout.Token);

    /// <summary>The next message as JSON, or null once the server closed (then <see cref="WebSocket.CloseStatus"/> says how).</summary>
    public async Task<JsonElement?> ReceiveAsync()
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var received = await _socket.ReceiveAsync(chunk, _timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", _timeout.Token);
                return null;
            }
            buffer.Write(chunk, 0, received.Count);
            if (received.EndOfMessage) return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
        }
    }

    /// <summary>
    /// Start, then each frame with its feedback read before the next is sent (as the console does), then end; reads
    /// until the server closes. A send that fails because the server already ended the session stops the sending.
    /// </summary>
    public async Task<Outcome> RunAsync(SessionStart start, IEnumerable<byte[]> frames, long frameIntervalMs = 100)
    {
        var feedback = new List<FrameFeedback>();
        SessionResult? result = null;
        Error? error = null;

        bool Take(JsonElement? message)
        {
            if (message is not { } m) return false;
            if (m.TryGetProperty("error", out var e))
                error = new Error(e.GetProperty("code").GetInt32(), e.GetProperty("status").GetString()!, e.GetProperty("message").GetString()!,
                    e.TryGetProperty("retryAfterMs", out var retry) ? retry.GetInt64() : null);
            else
            {
                var ev = Parser.Parse<SessionEvent>(m.GetRawText());
                if (ev.KindCase == SessionEvent.KindOneofCase.Feedback) feedback.Add(ev.Feedback);
                else result = ev.Result;
            }
            return true;
        }

        try
        {
            await SendStartAsync(start);
            long clock = 1_000;
            foreach (var frame in frames)
            {
                await SendFrameAsync(frame, clock += frameIntervalMs);
                if (!Take(await ReceiveAsync()) || result is not null || error is not null) break;
            }
            if (result is null && error is null && _socket.State == WebSocketState.Open) await SendEndAsync();
        }
        catch (WebSocketException)
        {
            // The server ended the session while a message was on its way; what it said is read below.
        }
        while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent && Take(await ReceiveAsync())) { }
        return new Outcome(feedback, result, error, _socket.CloseStatus);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (Exception e) when (e is WebSocketException or TimeoutException) { }
        }
        _socket.Dispose();
        _timeout.Dispose();
    }
}
