using System.IO.Pipelines;
using System.Net;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;

namespace FaceMatch.Grpc.Client;

/// <summary>
/// The body of a unary or server-streaming request: the one message, framed straight into the HTTP/2
/// request stream when the handler asks for it (no intermediate copy).
/// </summary>
internal sealed class SingleMessageContent<T>(T message, MessageWriteOptions options) : HttpContent where T : IMessage<T>
{
    public SingleMessageContent<T> WithGrpcContentType()
    {
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
        return this;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            writer.WriteMessage(message, options);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

/// <summary>
/// The body of a client-streaming or duplex request: the HTTP/2 request stream is handed to the call
/// (which frames messages into it as the caller writes) and stays open until the call half-closes.
/// The handler may send the request more than once (a stream refused by the server's MAX_CONCURRENT_STREAMS
/// is retried on another connection): a new attempt replaces the stream as long as the call has not begun
/// writing, and is refused once it has, since a gRPC stream cannot be replayed.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _sync = new();
    private TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _taken;

    public StreamingRequestContent() => Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);

    /// <summary>The request stream of the attempt that will carry the call; from here on it is fixed.</summary>
    public async Task<Stream> AcquireStreamAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<Stream> current;
            lock (_sync) current = _stream.Task;
            var stream = await current.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                if (_stream.Task != current) continue; // a newer attempt replaced it meanwhile
                _taken = true;
                return stream;
            }
        }
    }

    /// <summary>Ends the request body (END_STREAM): the client has half-closed.</summary>
    public void Complete() => _completed.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_taken)
                throw new IOException("The call's request stream was already in use on an earlier attempt; a gRPC stream cannot be replayed.");
            if (_stream.Task.IsCompleted) _stream = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
            _stream.SetResult(stream);
        }
        // Returns when the call half-closes. An attempt the handler abandons (its token fires) returns quietly,
        // so the handler can retry the request on another stream or connection.
        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetResult(), abandoned))
            await Task.WhenAny(_completed.Task, abandoned.Task).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        lock (_sync) _stream.TrySetException(new HttpRequestException("The request was abandoned before its stream could be used."));
        _completed.TrySetResult();
        base.Dispose(disposing);
    }
}
