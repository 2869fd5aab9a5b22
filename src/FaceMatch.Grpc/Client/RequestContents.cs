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
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamingRequestContent() => Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);

    public Task<Stream> StreamTask => _stream.Task;

    /// <summary>Ends the request body (END_STREAM): the client has half-closed.</summary>
    public void Complete() => _completed.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        return _completed.Task;
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        _stream.TrySetCanceled();
        _completed.TrySetResult();
        base.Dispose(disposing);
    }
}
