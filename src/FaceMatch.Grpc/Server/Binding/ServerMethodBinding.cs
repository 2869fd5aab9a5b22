using FaceMatch.Grpc.Server.Handlers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Grpc.Server.Binding;

/// <summary>One RPC of a service bound to the code that serves it.</summary>
public abstract class ServerMethodBinding
{
    private protected ServerMethodBinding(MethodDescriptor method) => Method = method;

    public MethodDescriptor Method { get; }
    /// <summary>The HTTP/2 :path, /package.Service/Method.</summary>
    public string Path => GrpcMethodPath.Of(Method);
    public abstract MethodType Type { get; }

    internal abstract ServerCallHandler CreateHandler(GrpcServerOptions options, ILogger logger);
}

internal sealed class UnaryBinding<TRequest, TResponse>(MethodDescriptor method, UnaryServerMethod<TRequest, TResponse> handler)
    : ServerMethodBinding(method)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.Unary;
    internal override ServerCallHandler CreateHandler(GrpcServerOptions options, ILogger logger) =>
        new UnaryCallHandler<TRequest, TResponse>(Path, handler, MessageParsers<TRequest>.Parser, options, logger);
}

internal sealed class ClientStreamingBinding<TRequest, TResponse>(MethodDescriptor method, ClientStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodBinding(method)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.ClientStreaming;
    internal override ServerCallHandler CreateHandler(GrpcServerOptions options, ILogger logger) =>
        new ClientStreamingCallHandler<TRequest, TResponse>(Path, handler, MessageParsers<TRequest>.Parser, options, logger);
}

internal sealed class ServerStreamingBinding<TRequest, TResponse>(MethodDescriptor method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodBinding(method)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.ServerStreaming;
    internal override ServerCallHandler CreateHandler(GrpcServerOptions options, ILogger logger) =>
        new ServerStreamingCallHandler<TRequest, TResponse>(Path, handler, MessageParsers<TRequest>.Parser, options, logger);
}

internal sealed class DuplexStreamingBinding<TRequest, TResponse>(MethodDescriptor method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodBinding(method)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.DuplexStreaming;
    internal override ServerCallHandler CreateHandler(GrpcServerOptions options, ILogger logger) =>
        new DuplexStreamingCallHandler<TRequest, TResponse>(Path, handler, MessageParsers<TRequest>.Parser, options, logger);
}
