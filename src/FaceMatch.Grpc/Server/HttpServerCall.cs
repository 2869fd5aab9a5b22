using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace FaceMatch.Grpc.Server;

/// <summary>
/// One gRPC call on one HTTP/2 stream: owns the deadline, the cancellation token, the response headers,
/// the status and the trailers. Response writes and the deadline's early completion are serialized by a
/// gate, so a deadline can end the response while the handler is still running.
/// </summary>
internal sealed class HttpServerCall : ServerCallContext
{
    private static readonly StringValues GrpcContentType = GrpcProtocol.ContentType;
    private static readonly StringValues AcceptEncoding = MessageCompressors.AcceptEncoding;

    private readonly HttpContext _http;
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _responseGate = new(1, 1);
    private readonly Lock _sync = new();
    private readonly string _method;

    private CancellationTokenSource? _deadlineCts;
    private Timer? _deadlineTimer;
    private Task? _deadlineCompletion;
    private DateTime _deadline = DateTime.MaxValue;
    private bool _ended;
    private volatile bool _deadlineExceeded;
    private bool _responseCompleted;
    private bool _responseStarted;
    private Metadata? _requestHeaders;
    private Metadata? _responseHeaders;
    private Metadata? _responseTrailers;
    private string? _requestEncoding;
    private string? _responseEncoding;
    private MessageReadOptions _readOptions;
    private MessageWriteOptions _writeOptions;
    private Status _status = Status.Ok;

    public HttpServerCall(HttpContext http, string method, GrpcServerOptions options, ILogger logger)
    {
        _http = http;
        _method = method;
        _options = options;
        _logger = logger;
    }

    public override string Method => _method;
    public override string Host => _http.Request.Host.Value ?? "";
    public override string Peer => FormatPeer(_http.Connection);
    public override DateTime Deadline => _deadline;
    public override Metadata RequestHeaders => _requestHeaders ??= ReadRequestMetadata(_http.Request.Headers);
    public override Metadata ResponseHeaders => _responseHeaders ??= new Metadata();
    public override Metadata ResponseTrailers => _responseTrailers ??= new Metadata();
    public override CancellationToken CancellationToken => _deadlineCts?.Token ?? _http.RequestAborted;
    public override Status Status { get => _status; set => _status = value; }
    public override string? RequestEncoding => _requestEncoding;
    public override HttpContext GetHttpContext() => _http;

    public override string? ResponseEncoding
    {
        get => _responseEncoding;
        set
        {
            if (_responseStarted) throw new InvalidOperationException("The response encoding cannot change after the response has started.");
            SetResponseEncoding(value);
        }
    }

    public PipeReader RequestBody => _http.Request.BodyReader;
    public MessageReadOptions ReadOptions => _readOptions;
    public bool DeadlineExceeded => _deadlineExceeded;

    /// <summary>Reads the call's protocol headers. Returns the status to end with at once, or null to run the handler.</summary>
    public Status? Initialize()
    {
        var headers = _http.Request.Headers;
        _readOptions = new MessageReadOptions(_options.MaxReceiveMessageSize);
        _writeOptions = new MessageWriteOptions(_options.MaxSendMessageSize, null, _options.ResponseCompressionLevel);

        var response = _http.Response;
        response.ContentType = GrpcContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = AcceptEncoding;

        var encoding = headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && !encoding.Equals(MessageCompressors.Identity, StringComparison.OrdinalIgnoreCase))
        {
            var compressor = MessageCompressors.Find(encoding);
            if (compressor is null)
                return new Status(StatusCode.Unimplemented,
                    $"Unsupported grpc-encoding '{encoding}'. Supported: {MessageCompressors.AcceptEncoding}.");
            _requestEncoding = compressor.Name;
            _readOptions = _readOptions with { Compressor = compressor };
        }
        if (_options.ResponseCompression is { } wanted &&
            MessageCompressors.IsAccepted(headers[GrpcProtocol.AcceptEncodingHeader].ToString(), wanted))
            SetResponseEncoding(wanted);

        var timeoutHeader = headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader.Count > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader.ToString(), out var timeout))
                return new Status(StatusCode.Internal, $"Invalid grpc-timeout '{timeoutHeader}'.");
            StartDeadline(timeout);
        }
        return null;
    }

    private void SetResponseEncoding(string? name)
    {
        if (name is null || name.Equals(MessageCompressors.Identity, StringComparison.OrdinalIgnoreCase))
        {
            _responseEncoding = null;
            _writeOptions = _writeOptions with { Compressor = null };
            _http.Response.Headers.Remove(GrpcProtocol.EncodingHeader);
            return;
        }
        var compressor = MessageCompressors.Find(name) ?? throw new ArgumentException($"Unknown encoding '{name}'.");
        if (!MessageCompressors.IsAccepted(_http.Request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString(), compressor.Name))
            return; // the client cannot read it: stay uncompressed
        _responseEncoding = compressor.Name;
        _writeOptions = _writeOptions with { Compressor = compressor };
        _http.Response.Headers[GrpcProtocol.EncodingHeader] = compressor.Name;
    }

    private void StartDeadline(TimeSpan timeout)
    {
        _deadline = DateTime.UtcNow + timeout;
        _deadlineCts = CancellationTokenSource.CreateLinkedTokenSource(_http.RequestAborted);
        _deadlineTimer = new Timer(static state => ((HttpServerCall)state!).OnDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    private void OnDeadline()
    {
        lock (_sync)
        {
            if (_ended) return;
            _deadlineExceeded = true;
        }
        try { _deadlineCts!.Cancel(); }
        catch (ObjectDisposedException) { return; }
        lock (_sync)
        {
            if (!_ended) _deadlineCompletion = CompleteOnDeadlineAsync();
        }
    }

    /// <summary>Ends the response with DEADLINE_EXCEEDED now, whatever the handler is doing.</summary>
    private async Task CompleteOnDeadlineAsync()
    {
        await _responseGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_responseCompleted || _http.RequestAborted.IsCancellationRequested) return;
            _responseCompleted = true;
            _status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            WriteFinalStatus();
            await _http.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The stream went away while we ended it: nothing left to tell the client.
        }
        finally
        {
            _responseGate.Release();
        }
    }

    /// <summary>Reads the one request message of a unary or server-streaming call.</summary>
    public async Task<T> ReadSingleMessageAsync<T>(MessageParser<T> parser) where T : class, IMessage<T>
    {
        var token = CancellationToken;
        var message = await RequestBody.ReadMessageAsync(parser, _readOptions, token).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, "The request carried no message; this method takes exactly one.");
        if (await RequestBody.ReadMessageAsync(parser, _readOptions, token).ConfigureAwait(false) is not null)
            throw new RpcException(StatusCode.Internal, "The request carried more than one message; this method takes exactly one.");
        return message;
    }

    /// <summary>Frames one response message; flushes it unless the end of the call will (unary).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteMessageAsync<T>(T message, bool flush, CancellationToken cancellationToken) where T : IMessage<T>
    {
        if (!_responseGate.Wait(0))
            await _responseGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfResponseCompleted();
            StartResponse();
            var writer = _http.Response.BodyWriter;
            writer.WriteMessage(message, _writeOptions);
            if (flush)
            {
                var result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
            }
        }
        finally
        {
            _responseGate.Release();
        }
    }

    public override async ValueTask WriteResponseHeadersAsync(Metadata? headers = null)
    {
        await _responseGate.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfResponseCompleted();
            if (_responseStarted) throw new InvalidOperationException("Response headers have already been sent.");
            if (headers is not null)
                foreach (var entry in headers) ResponseHeaders.Add(entry);
            StartResponse();
            await _http.Response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _responseGate.Release();
        }
    }

    private void ThrowIfResponseCompleted()
    {
        if (!_responseCompleted) return;
        if (_deadlineExceeded) throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        throw new InvalidOperationException("The call's response has already completed.");
    }

    /// <summary>Puts the custom response headers in place; the first message or flush sends them.</summary>
    private void StartResponse()
    {
        if (_responseStarted) return;
        _responseStarted = true;
        if (_responseHeaders is { Count: > 0 } custom)
            AppendMetadata(_http.Response.Headers, custom);
    }

    /// <summary>Records how the handler failed as the call's status. Internals never reach the client.</summary>
    public void SetStatusFromException(Exception exception)
    {
        if (exception is RpcException rpc)
        {
            _status = rpc.Status;
            foreach (var entry in rpc.Trailers) ResponseTrailers.Add(entry);
        }
        else if (_deadlineExceeded)
        {
            _status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        else if (_http.RequestAborted.IsCancellationRequested)
        {
            _status = new Status(StatusCode.Cancelled, "Cancelled by the client.");
        }
        else
        {
            _logger.LogError(exception, "gRPC method {Method} failed with an unhandled {ExceptionType}", _method, exception.GetType().Name);
            _status = new Status(StatusCode.Internal, _options.EnableDetailedErrors
                ? $"Exception was thrown by handler. {exception.GetType().Name}: {exception.Message}"
                : "Exception was thrown by handler.");
        }
    }

    /// <summary>Sends the status (unless the deadline already did, or the client is gone) and releases the call.</summary>
    public async Task EndCallAsync()
    {
        await _responseGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_responseCompleted)
            {
                _responseCompleted = true;
                if (!_http.RequestAborted.IsCancellationRequested)
                {
                    try { WriteFinalStatus(); }
                    catch (InvalidOperationException) { /* the stream was reset meanwhile */ }
                }
            }
        }
        finally
        {
            _responseGate.Release();
        }

        Task? pending;
        lock (_sync)
        {
            _ended = true;
            pending = _deadlineCompletion;
        }
        if (_deadlineTimer is not null) await _deadlineTimer.DisposeAsync().ConfigureAwait(false);
        if (pending is not null) await pending.ConfigureAwait(false);
        _deadlineCts?.Dispose();
    }

    /// <summary>
    /// Status and trailers: in the trailing HEADERS frame if anything was sent, otherwise as a
    /// Trailers-Only response (one HEADERS frame carrying the status).
    /// </summary>
    private void WriteFinalStatus()
    {
        var response = _http.Response;
        var trailersOnly = !_responseStarted && !response.HasStarted;
        if (trailersOnly)
        {
            StartResponse();
            var headers = response.Headers;
            headers[GrpcProtocol.StatusTrailer] = StatusCodeText((int)_status.StatusCode);
            if (_status.Detail.Length > 0) headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode(_status.Detail);
            if (_responseTrailers is { Count: > 0 }) AppendMetadata(headers, _responseTrailers);
            return;
        }
        response.AppendTrailer(GrpcProtocol.StatusTrailer, StatusCodeText((int)_status.StatusCode));
        if (_status.Detail.Length > 0) response.AppendTrailer(GrpcProtocol.MessageTrailer, PercentEncoding.Encode(_status.Detail));
        if (_responseTrailers is { Count: > 0 })
            foreach (var entry in _responseTrailers)
                response.AppendTrailer(entry.Key, Metadata.ToWire(entry));
    }

    private static readonly string[] StatusTexts = Enumerable.Range(0, 17).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
    private static string StatusCodeText(int code) => (uint)code < StatusTexts.Length ? StatusTexts[code] : code.ToString(CultureInfo.InvariantCulture);

    private static void AppendMetadata(IHeaderDictionary headers, Metadata metadata)
    {
        foreach (var entry in metadata)
            headers.Append(entry.Key, Metadata.ToWire(entry));
    }

    private static Metadata ReadRequestMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers)
        {
            if (GrpcProtocol.IsReservedHeader(key)) continue;
            foreach (var value in values)
                if (value is not null && Metadata.TryFromWire(key, value, out var entry))
                    metadata.Add(entry!);
        }
        return metadata;
    }

    private static string FormatPeer(ConnectionInfo connection)
    {
        var ip = connection.RemoteIpAddress;
        if (ip is null) return "unknown";
        return ip.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{ip}]:{connection.RemotePort}"
            : $"ipv4:{ip}:{connection.RemotePort}";
    }
}
