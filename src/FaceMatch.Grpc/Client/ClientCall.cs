using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;

namespace FaceMatch.Grpc.Client;

/// <summary>
/// One call from the client: an HTTP/2 request whose body carries the request messages and whose response
/// carries the headers, the response messages and the status in the trailers (or, for an early error, in the
/// headers alone). Owns the deadline (grpc-timeout sent, and enforced locally) and cancellation (RST_STREAM).
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IAsyncStreamReader<TResponse>, IClientStreamWriter<TRequest>, IDisposable
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    private static readonly TransferCodingWithQualityHeaderValue TeTrailers = new("trailers");

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _cts;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _sync = new();
    private HttpRequestMessage? _request;
    private StreamingRequestContent? _streamingContent;
    private Task? _responseReady;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private PipeWriter? _requestWriter;
    private MessageReadOptions _readOptions;
    private Status? _status;
    private Metadata _trailers = new();
    private TResponse? _current;
    private bool _requestCompleted;
    private volatile bool _cancelledByCaller;
    private bool _cleanedUp;

    public ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _cts = options.CancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : new CancellationTokenSource();
        _readOptions = new MessageReadOptions(channel.Options.MaxReceiveMessageSize);
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    /// <summary>Sends the request headers (and the one request message, if given) and starts waiting for the response.</summary>
    public void Start(TRequest? request)
    {
        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            timeout = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (timeout <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata());
                _responseReady = Task.CompletedTask;
                return;
            }
        }

        var writeOptions = _channel.WriteOptions;
        HttpContent content;
        if (request is not null)
        {
            var size = request.CalculateSize();
            if (size > writeOptions.MaxMessageSize)
            {
                Finish(new Status(StatusCode.ResourceExhausted,
                    $"Sending message larger than max ({size} vs. {writeOptions.MaxMessageSize} bytes)."), new Metadata());
                _responseReady = Task.CompletedTask;
                return;
            }
            content = new SingleMessageContent<TRequest>(request, writeOptions).WithGrpcContentType();
        }
        else
        {
            content = _streamingContent = new StreamingRequestContent();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, _channel.UriFor(_method.Path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = message.Headers;
        headers.TE.Add(TeTrailers);
        headers.TryAddWithoutValidation("User-Agent", _channel.Options.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, MessageCompressors.AcceptEncoding);
        if (writeOptions.Compressor is { } compressor)
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, compressor.Name);
        if (timeout is { } t)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
            if (t < GrpcTimeout.Max) _cts.CancelAfter(t);
        }
        if (_options.Headers is { } metadata)
            foreach (var entry in metadata)
                headers.TryAddWithoutValidation(entry.Key, Metadata.ToWire(entry));

        _request = message;
        var send = _channel.Invoker.SendAsync(message, _cts.Token);
        _responseReady = ReceiveResponseHeadersAsync(send);
    }

    private async Task ReceiveResponseHeadersAsync(Task<HttpResponseMessage> send)
    {
        try
        {
            var response = await send.ConfigureAwait(false);
            lock (_sync)
            {
                if (_cleanedUp)
                {
                    response.Dispose();
                    return;
                }
                _response = response;
            }
            var headers = response.Headers;
            var grpcStatus = FirstValue(headers, GrpcProtocol.StatusTrailer);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var status = grpcStatus is not null ? ReadStatus(headers) : StatusFromHttp(response.StatusCode);
                _headers.TrySetResult(ReadMetadata(headers));
                Finish(status, ReadMetadata(headers));
                return;
            }
            var contentType = response.Content.Headers.ContentType?.MediaType;
            if (!GrpcProtocol.IsGrpcContentType(contentType))
            {
                Finish(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}'."), new Metadata());
                return;
            }
            if (grpcStatus is not null)
            {
                // Trailers-Only: the status came with the headers; there is no body.
                var metadata = ReadMetadata(headers);
                _headers.TrySetResult(metadata);
                Finish(ReadStatus(headers), metadata);
                return;
            }
            var encoding = FirstValue(headers, GrpcProtocol.EncodingHeader);
            if (encoding is not null && !encoding.Equals(MessageCompressors.Identity, StringComparison.OrdinalIgnoreCase))
            {
                var compressor = MessageCompressors.Find(encoding);
                if (compressor is null)
                {
                    Finish(new Status(StatusCode.Internal, $"The server used an unsupported grpc-encoding '{encoding}'."), new Metadata());
                    return;
                }
                _readOptions = _readOptions with { Compressor = compressor };
            }
            _headers.TrySetResult(ReadMetadata(headers));
            var body = await response.Content.ReadAsStreamAsync(_cts.Token).ConfigureAwait(false);
            _reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024));
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
    }

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _current = await ReadNextAsync(cancellationToken).ConfigureAwait(false);
        return _current is not null;
    }

    /// <summary>Reads the next response message; null once the call ended with OK; throws RpcException otherwise.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResponse?> ReadNextAsync(CancellationToken cancellationToken)
    {
        await _responseReady!.ConfigureAwait(false);
        if (_status is { } done) return done.StatusCode == StatusCode.OK ? null : throw new RpcException(done, _trailers);

        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).CancelByCaller(), this)
            : default;
        TResponse? message;
        try
        {
            message = await _reader!.ReadMessageAsync(_method.ResponseParser, _readOptions, _cts.Token).ConfigureAwait(false);
            if (message is null)
            {
                var trailers = _response!.TrailingHeaders;
                if (FirstValue(trailers, GrpcProtocol.StatusTrailer) is null)
                    Finish(new Status(StatusCode.Internal, "The response ended without a grpc-status."), ReadMetadata(trailers));
                else
                    Finish(ReadStatus(trailers), ReadMetadata(trailers));
            }
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            registration.Dispose();
        }
        if (message is null && _status is { StatusCode: not StatusCode.OK } failed)
            throw new RpcException(failed, _trailers);
        return message;
    }

    /// <summary>Unary and client-streaming: exactly one message, then the status.</summary>
    public async Task<TResponse> ReadSingleResponseAsync()
    {
        var message = await ReadNextAsync(CancellationToken.None).ConfigureAwait(false);
        if (message is null)
            throw Fail(new RpcException(StatusCode.Internal, "The call ended with OK but no response message."));
        if (await ReadNextAsync(CancellationToken.None).ConfigureAwait(false) is not null)
            throw Fail(new RpcException(StatusCode.Internal, "The server sent more than one response message to a call that takes one."));
        return message;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_status is { } done)
            throw new RpcException(done.StatusCode == StatusCode.OK ? new Status(StatusCode.FailedPrecondition, "The call has already completed.") : done, _trailers);
        if (_requestCompleted) throw new InvalidOperationException("The request stream has already been completed.");
        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).CancelByCaller(), this)
            : default;
        try
        {
            var writer = _requestWriter ??= PipeWriter.Create(
                await _streamingContent!.AcquireStreamAsync(_cts.Token).ConfigureAwait(false),
                new StreamPipeWriterOptions(leaveOpen: true));
            writer.WriteMessage(message, _channel.WriteOptions);
            await writer.FlushAsync(_cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw await FailWriteAsync(e).ConfigureAwait(false);
        }
        finally
        {
            registration.Dispose();
        }
    }

    public async ValueTask CompleteAsync()
    {
        if (_requestCompleted || _status is not null) return;
        _requestCompleted = true;
        if (_requestWriter is { } writer)
        {
            try { await writer.FlushAsync(_cts.Token).ConfigureAwait(false); }
            catch (Exception e) { throw await FailWriteAsync(e).ConfigureAwait(false); }
        }
        _streamingContent?.Complete();
    }

    /// <summary>
    /// A failed write usually means the server already ended the call: report the server's status if it
    /// arrives promptly (read by the response side, which is already waiting for it in client-streaming
    /// calls), rather than the transport error.
    /// </summary>
    private async Task<RpcException> FailWriteAsync(Exception e)
    {
        if (e is not RpcException && !_cts.IsCancellationRequested)
        {
            try
            {
                await _finished.Task.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            if (_status is { StatusCode: not StatusCode.OK } status) return new RpcException(status, _trailers);
        }
        return Fail(e);
    }

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished yet.");
    public Metadata GetTrailers() => _status is not null ? _trailers : throw new InvalidOperationException("The call has not finished yet.");

    private void CancelByCaller()
    {
        _cancelledByCaller = true;
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Turns a failure into the call's status (once), tears the stream down and returns the exception to throw.</summary>
    private RpcException Fail(Exception e)
    {
        if (_status is { StatusCode: not StatusCode.OK } known) return new RpcException(known, _trailers);
        var rpc = FindRpcException(e);
        Status status;
        if (_cancelledByCaller || _options.CancellationToken.IsCancellationRequested)
            status = new Status(StatusCode.Cancelled, "Call cancelled by the client.");
        else if (_cts.IsCancellationRequested)
            status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        else if (rpc is not null)
            status = rpc.Status;
        else if (FindProtocolException(e) is { } reset)
            status = StatusFromReset(reset.ErrorCode);
        else if (e is HttpRequestException)
            status = new Status(StatusCode.Unavailable, $"Error starting gRPC call: {e.Message}");
        else if (e is OperationCanceledException)
            status = new Status(StatusCode.Unavailable, "The HTTP/2 stream was abandoned by the transport (refused or reset) before the call completed.");
        else if (e is IOException)
            status = new Status(StatusCode.Unavailable, $"Error in the gRPC stream: {e.Message}");
        else
            status = new Status(StatusCode.Internal, $"Error in the gRPC call: {e.GetType().Name}: {e.Message}");
        Finish(status, rpc?.Trailers ?? new Metadata());
        return new RpcException(status, _trailers);
    }

    private void Finish(Status status, Metadata trailers)
    {
        lock (_sync)
        {
            if (_status is not null) return;
            _status = status;
            _trailers = trailers;
        }
        _finished.TrySetResult();
        if (status.StatusCode != StatusCode.OK)
            _headers.TrySetException(new RpcException(status, trailers));
        else
            _headers.TrySetResult(new Metadata());
        _ = _headers.Task.Exception; // observed: a failed call need not read its headers
        Cleanup(abort: status.StatusCode != StatusCode.OK);
    }

    /// <summary>Releases the HTTP/2 stream; an unfinished one is reset (RST_STREAM CANCEL), which the server sees as cancellation.</summary>
    private void Cleanup(bool abort)
    {
        lock (_sync)
        {
            if (_cleanedUp) return;
            _cleanedUp = true;
        }
        if (abort)
        {
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }
        _streamingContent?.Complete();
        _response?.Dispose();
        _request?.Dispose();
        _cts.Dispose();
    }

    public void Dispose()
    {
        if (_status is null)
        {
            Finish(new Status(StatusCode.Cancelled, "Call disposed before it finished."), new Metadata());
        }
        else
        {
            Cleanup(abort: false);
        }
    }

    private static RpcException? FindRpcException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is RpcException rpc) return rpc;
        return null;
    }

    private static HttpProtocolException? FindProtocolException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is HttpProtocolException p) return p;
        return null;
    }

    /// <summary>RST_STREAM error codes as gRPC maps them (PROTOCOL-HTTP2.md).</summary>
    private static Status StatusFromReset(long code) => code switch
    {
        0x0 or 0x1 or 0x2 or 0x3 or 0x4 or 0x6 or 0x9 => new Status(StatusCode.Internal, $"The stream was reset (HTTP/2 error 0x{code:x})."),
        0x7 => new Status(StatusCode.Unavailable, "The server refused the stream."),
        0x8 => new Status(StatusCode.Cancelled, "The server cancelled the stream."),
        0xb => new Status(StatusCode.ResourceExhausted, "The server said: enhance your calm."),
        0xc => new Status(StatusCode.PermissionDenied, "The connection's security is inadequate."),
        _ => new Status(StatusCode.Unknown, $"The stream was reset (HTTP/2 error 0x{code:x})."),
    };

    /// <summary>HTTP status codes as gRPC maps them when the response is not a gRPC one (http-grpc-status-mapping.md).</summary>
    private static Status StatusFromHttp(HttpStatusCode code) => code switch
    {
        HttpStatusCode.BadRequest => new Status(StatusCode.Internal, "HTTP 400 Bad Request"),
        HttpStatusCode.Unauthorized => new Status(StatusCode.Unauthenticated, "HTTP 401 Unauthorized"),
        HttpStatusCode.Forbidden => new Status(StatusCode.PermissionDenied, "HTTP 403 Forbidden"),
        HttpStatusCode.NotFound => new Status(StatusCode.Unimplemented, "HTTP 404 Not Found"),
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout =>
            new Status(StatusCode.Unavailable, $"HTTP {(int)code} {code}"),
        _ => new Status(StatusCode.Unknown, $"HTTP {(int)code} {code}"),
    };

    private static Status ReadStatus(HttpHeaders headers)
    {
        var text = FirstValue(headers, GrpcProtocol.StatusTrailer);
        if (!int.TryParse(text, out var code) || code < 0)
            return new Status(StatusCode.Unknown, $"Invalid grpc-status '{text}'.");
        var message = FirstValue(headers, GrpcProtocol.MessageTrailer);
        return new Status((StatusCode)code, message is null ? "" : PercentEncoding.Decode(message));
    }

    private static string? FirstValue(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static Metadata ReadMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers.NonValidated)
        {
            if (GrpcProtocol.IsReservedHeader(key)) continue;
            foreach (var value in values)
                if (Metadata.TryFromWire(key, value, out var entry))
                    metadata.Add(entry!);
        }
        return metadata;
    }
}
