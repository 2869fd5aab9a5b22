using System.Runtime.CompilerServices;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;

namespace FaceMatch.Grpc.Server.Handlers;

/// <summary>The request stream of a client-streaming or duplex call: one framed message per MoveNext.</summary>
internal sealed class RequestStreamReader<T>(HttpServerCall call, MessageParser<T> parser) : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private T? _current;
    private bool _finished;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    public ValueTask<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (_finished) return new ValueTask<bool>(false);
        var callToken = call.CancellationToken;
        if (!cancellationToken.CanBeCanceled || cancellationToken == callToken)
            return ReadAsync(callToken);
        return ReadLinkedAsync(callToken, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadAsync(CancellationToken token)
    {
        _current = await call.RequestBody.ReadMessageAsync(parser, call.ReadOptions, token).ConfigureAwait(false);
        if (_current is null) _finished = true;
        return _current is not null;
    }

    private async ValueTask<bool> ReadLinkedAsync(CancellationToken callToken, CancellationToken callerToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, callerToken);
        return await ReadAsync(linked.Token).ConfigureAwait(false);
    }
}

/// <summary>The response stream of a server-streaming or duplex call: every write is framed and flushed.</summary>
internal sealed class ResponseStreamWriter<T>(HttpServerCall call) : IServerStreamWriter<T> where T : IMessage<T>
{
    public ValueTask WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var token = cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken;
        return call.WriteMessageAsync(message, flush: true, token);
    }
}
