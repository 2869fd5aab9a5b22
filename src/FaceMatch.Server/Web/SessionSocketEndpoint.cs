using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Observability;
using FaceMatch.Server.Pipeline;
using FaceMatch.Server.Security;
using FaceMatch.Server.Sessions;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionKind = FaceMatch.Vault.Usage.SessionKind;

namespace FaceMatch.Server.Web;

/// <summary>
/// <c>/v1/sessions/{enroll|authenticate|identify}</c>: Enroll, Authenticate and Identify over a WebSocket, for
/// browsers, which cannot run a bidirectional gRPC stream. The socket feeds the same <see cref="SessionRunner"/> as the
/// gRPC streams, behind the same checks in the same order: readiness and the stop's drain (UNAVAILABLE), the bearer token (UNAUTHENTICATED,
/// PERMISSION_DENIED for the admin token), then the runner's admission, limits and statuses. The token comes as a
/// <c>Sec-WebSocket-Protocol</c> value beside <see cref="Protocol"/>, since a browser cannot set headers on a WebSocket,
/// and never in the URL, which lands in logs. A session that fails ends with one JSON error message
/// (<c>{"error": {"code": 3, "status": "INVALID_ARGUMENT", "message": …}}</c>) and close code 4000 + the gRPC code; one
/// that completes, with its result and close code 1000.
/// </summary>
internal sealed partial class SessionSocketEndpoint(ServerReadiness readiness, CallDrain drain, BearerTokens tokens, OriginPolicy origins,
    SessionOptions options, IServiceProvider services, ILogger<SessionSocketEndpoint> logger)
{
    public const string Route = "/v1/sessions/{kind}";
    /// <summary>The subprotocol a client must offer, and the server selects.</summary>
    public const string Protocol = "facematch.v1";
    /// <summary>The token travels as a second offered subprotocol, <c>facematch.bearer.&lt;token&gt;</c>; never selected, never echoed.</summary>
    public const string TokenPrefix = "facematch.bearer.";
    public const int FailureCloseBase = 4000;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    public async Task HandleAsync(HttpContext http)
    {
        if (Kind(http.GetRouteValue("kind") as string) is not { } kind)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Refuse(http, StatusCodes.Status400BadRequest, "a WebSocket handshake is expected here").ConfigureAwait(false);
            return;
        }
        // Before anything else, a page from another origin is turned away: the handshake fails, and it learns nothing.
        if (!origins.Allows(http.Request))
        {
            await Refuse(http, StatusCodes.Status403Forbidden, "this origin may not open sessions").ConfigureAwait(false);
            return;
        }
        var offered = http.WebSockets.WebSocketRequestedProtocols;
        if (!offered.Contains(Protocol, StringComparer.Ordinal))
        {
            await Refuse(http, StatusCodes.Status400BadRequest, $"offer the WebSocket subprotocol {Protocol}").ConfigureAwait(false);
            return;
        }
        var token = offered.FirstOrDefault(p => p.StartsWith(TokenPrefix, StringComparison.Ordinal))?[TokenPrefix.Length..];

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = Protocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        }).ConfigureAwait(false);
        using var transport = new WebSocketSessionTransport(socket, options.MaxFrameBytes, http.Connection.RemoteIpAddress, http.RequestAborted);
        var started = Stopwatch.GetTimestamp();
        var status = await RunAsync(kind, token, transport).ConfigureAwait(false);
        await CloseAsync(socket, status, transport.Aborted).ConfigureAwait(false);

        var label = Label(kind);
        ServerMetrics.WebSocketSessions.WithLabels(label, status.ToString()).Inc();
        LogEnded(logger, label, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Runs the session and, when it fails, tells the client why; the status it ended with.</summary>
    private async Task<StatusCode> RunAsync(SessionKind kind, string? token, WebSocketSessionTransport transport)
    {
        try
        {
            // A graceful stop waits for this session as for a gRPC one.
            using var admitted = ReadinessInterceptor.Admit(readiness, drain);
            var who = tokens.ResolveTenant(token, $"WebSocket subprotocol {TokenPrefix}<token>");
            await services.GetRequiredService<SessionRunner>().RunAsync(kind, who, transport).ConfigureAwait(false);
            return StatusCode.OK;
        }
        catch (Exception e) when (e is not RpcException && (transport.Aborted.IsCancellationRequested || e is WebSocketException))
        {
            // The client went away: there is nobody to tell.
            return StatusCode.Cancelled;
        }
        catch (Exception e)
        {
            var failure = e as RpcException ?? ErrorStatus.Map(e, callCancelled: false)!;
            if (failure.StatusCode == StatusCode.Internal && e is not RpcException)
                LogUnexpected(logger, e.GetType().FullName ?? "exception", e);
            try
            {
                await transport.SendTextAsync(ErrorMessage(failure), transport.Aborted).ConfigureAwait(false);
            }
            catch (Exception sending) when (sending is WebSocketException or OperationCanceledException)
            {
                return StatusCode.Cancelled;
            }
            return failure.StatusCode;
        }
    }

    /// <summary>The error event: google.rpc.Status's code and message, the status's name, and the retry hint of an overload refusal.</summary>
    internal static string ErrorMessage(RpcException failure)
    {
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteNumber("code", (int)failure.StatusCode);
            writer.WriteString("status", StatusName(failure.StatusCode));
            writer.WriteString("message", failure.Status.Detail);
            if (failure.Trailers.GetValue(Overload.PushbackTrailer) is { } pushback && long.TryParse(pushback, CultureInfo.InvariantCulture, out var ms))
                writer.WriteNumber("retryAfterMs", ms);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(json.WrittenSpan);
    }

    /// <summary>The gRPC name of a status, as the contract and grpc-status-details spell it: <c>INVALID_ARGUMENT</c>.</summary>
    internal static string StatusName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        _ => string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString())),
    };

    private static async Task CloseAsync(WebSocket socket, StatusCode status, CancellationToken aborted)
    {
        if (aborted.IsCancellationRequested && socket.State != WebSocketState.CloseReceived)
        {
            socket.Abort();
            return;
        }
        var code = status == StatusCode.OK ? WebSocketCloseStatus.NormalClosure : (WebSocketCloseStatus)(FailureCloseBase + (int)status);
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            // Waits for the client's close, discarding frames it sent after the session ended (the runner can end a
            // session itself once it has enough good frames).
            await socket.CloseAsync(code, StatusName(status), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            socket.Abort();
        }
    }

    private static async Task Refuse(HttpContext http, int statusCode, string message)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(message).ConfigureAwait(false);
    }

    private static SessionKind? Kind(string? name) => name switch
    {
        "enroll" => SessionKind.Enroll,
        "authenticate" => SessionKind.Authenticate,
        "identify" => SessionKind.Identify,
        _ => null,
    };

    private static string Label(SessionKind kind) => kind.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "websocket session {Kind} ended {Status} in {DurationMs:F1} ms")]
    private static partial void LogEnded(ILogger logger, string kind, StatusCode status, double durationMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "websocket session: unexpected {ExceptionType}")]
    private static partial void LogUnexpected(ILogger logger, string exceptionType, Exception exception);
}
