using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Server.Web;

/// <summary>
/// A session over a WebSocket (the browser console's): text messages are JSON, <c>{"start": SessionStart}</c> first and
/// <c>{"end": {}}</c> when the client has no more frames (a WebSocket has no half-close); each frame is one binary
/// message, an 8-byte big-endian <c>capture_time_ms</c> followed by the encoded image. Events go out as text, each a
/// SessionEvent in protobuf's JSON mapping (<c>{"feedback": …}</c>, <c>{"result": …}</c>). A message is buffered only
/// up to its limit (a frame: the session's frame limit), so an oversized one is refused without being read whole.
/// </summary>
internal sealed class WebSocketSessionTransport : ISessionTransport, IDisposable
{
    public const int FrameHeaderBytes = 8;
    /// <summary>Text messages are a start message or an end: small.</summary>
    public const int MaxTextBytes = 64 * 1024;
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    private readonly WebSocket _socket;
    private readonly int _maxFrameBytes;
    private readonly CancellationTokenSource _aborted;
    private int _frames;
    // One message at a time (the runner reads a frame, answers it, then reads the next); its bytes are copied out
    // before the next read. Grows to the largest message the session sent, at most a frame's limit.
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

    public WebSocketSessionTransport(WebSocket socket, int maxFrameBytes, IPAddress? clientAddress, CancellationToken requestAborted)
    {
        _socket = socket;
        _maxFrameBytes = maxFrameBytes;
        ClientAddress = clientAddress;
        _aborted = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    /// <summary>Cancelled when the connection drops or the client closes the socket before the session ended.</summary>
    public CancellationToken Aborted => _aborted.Token;

    public IPAddress? ClientAddress { get; }

    public async ValueTask<SessionRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        var (type, length) = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        var message = new ReadOnlyMemory<byte>(_buffer, 0, length);
        return type == WebSocketMessageType.Binary ? Frame(message.Span) : Control(message);
    }

    public Task WriteAsync(SessionEvent message, CancellationToken cancellationToken) => SendTextAsync(Formatter.Format(message), cancellationToken);

    public Task SendTextAsync(string json, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public void Dispose()
    {
        _aborted.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    /// <summary>One whole message into the buffer (grown as needed, never past the message's limit).</summary>
    private async ValueTask<(WebSocketMessageType Type, int Length)> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length) Grow(length);
            var received = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                // Gone before the session ended, as a cancelled gRPC call: nothing is stored, nothing more is sent.
                await _aborted.CancelAsync().ConfigureAwait(false);
                throw new OperationCanceledException("the client closed the session", _aborted.Token);
            }
            length += received.Count;
            var limit = received.MessageType == WebSocketMessageType.Binary ? FrameHeaderBytes + _maxFrameBytes : MaxTextBytes;
            if (length > limit)
                throw new RpcException(new Status(StatusCode.ResourceExhausted, received.MessageType == WebSocketMessageType.Binary
                    ? $"frame {_frames}: over the {_maxFrameBytes}-byte limit"
                    : $"a text message is at most {MaxTextBytes} bytes"));
            if (received.EndOfMessage) return (received.MessageType, length);
        }
    }

    private void Grow(int length)
    {
        var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    private SessionRequest Frame(ReadOnlySpan<byte> message)
    {
        if (message.Length < FrameHeaderBytes)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"frame {_frames}: a frame message is an {FrameHeaderBytes}-byte big-endian capture_time_ms, then the image"));
        _frames++;
        return new SessionRequest
        {
            Frame = new Frame
            {
                CaptureTimeMs = BinaryPrimitives.ReadInt64BigEndian(message),
                Image = ByteString.CopyFrom(message[FrameHeaderBytes..]),
            },
        };
    }

    /// <summary>A text message: start, or end (null, the end of the client's frames).</summary>
    private static SessionRequest? Control(ReadOnlyMemory<byte> message)
    {
        const string expected = "a text message is {\"start\": {…}} or {\"end\": {}}; frames are binary messages";
        try
        {
            using var json = JsonDocument.Parse(message);
            if (json.RootElement.ValueKind != JsonValueKind.Object || json.RootElement.EnumerateObject().Count() != 1)
                throw new RpcException(new Status(StatusCode.InvalidArgument, expected));
            var field = json.RootElement.EnumerateObject().Single();
            return field.Name switch
            {
                "start" => new SessionRequest { Start = Parser.Parse<SessionStart>(field.Value.GetRawText()) },
                "end" => null,
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, expected)),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidProtocolBufferException or InvalidJsonException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{expected}: {e.Message}"));
        }
    }
}
