using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Grpc.Server.Handlers;

/// <summary>
/// Runs one call of one method: sets up the call (deadline, encodings), runs the call-type-specific part,
/// turns whatever happened into a status and ends the response. One subclass per call type.
/// </summary>
internal abstract class ServerCallHandler(string method, GrpcServerOptions options, ILogger logger)
{
    public string Method { get; } = method;

    public async Task HandleCallAsync(HttpContext http)
    {
        var call = new HttpServerCall(http, Method, options, logger);
        if (call.Initialize() is { } refusal)
        {
            call.Status = refusal;
        }
        else
        {
            try
            {
                await HandleAsync(call).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                call.SetStatusFromException(e);
            }
        }
        await call.EndCallAsync().ConfigureAwait(false);
    }

    protected abstract Task HandleAsync(HttpServerCall call);

    protected static TResponse CheckResponse<TResponse>(TResponse? response) where TResponse : class =>
        response ?? throw new InvalidOperationException("The handler returned a null response.");
}

internal sealed class UnaryCallHandler<TRequest, TResponse>(
    string method, UnaryServerMethod<TRequest, TResponse> handler, MessageParser<TRequest> parser,
    GrpcServerOptions options, ILogger logger) : ServerCallHandler(method, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task HandleAsync(HttpServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(parser).ConfigureAwait(false);
        var response = CheckResponse(await handler(request, call).ConfigureAwait(false));
        // Not flushed: the message leaves together with the trailers when the call ends.
        await call.WriteMessageAsync(response, flush: false, call.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingCallHandler<TRequest, TResponse>(
    string method, ClientStreamingServerMethod<TRequest, TResponse> handler, MessageParser<TRequest> parser,
    GrpcServerOptions options, ILogger logger) : ServerCallHandler(method, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task HandleAsync(HttpServerCall call)
    {
        var requests = new RequestStreamReader<TRequest>(call, parser);
        var response = CheckResponse(await handler(requests, call).ConfigureAwait(false));
        await call.WriteMessageAsync(response, flush: false, call.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingCallHandler<TRequest, TResponse>(
    string method, ServerStreamingServerMethod<TRequest, TResponse> handler, MessageParser<TRequest> parser,
    GrpcServerOptions options, ILogger logger) : ServerCallHandler(method, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override async Task HandleAsync(HttpServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(parser).ConfigureAwait(false);
        await handler(request, new ResponseStreamWriter<TResponse>(call), call).ConfigureAwait(false);
    }
}

internal sealed class DuplexStreamingCallHandler<TRequest, TResponse>(
    string method, DuplexStreamingServerMethod<TRequest, TResponse> handler, MessageParser<TRequest> parser,
    GrpcServerOptions options, ILogger logger) : ServerCallHandler(method, options, logger)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    protected override Task HandleAsync(HttpServerCall call) =>
        handler(new RequestStreamReader<TRequest>(call, parser), new ResponseStreamWriter<TResponse>(call), call);
}
