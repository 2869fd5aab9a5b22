using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Client;

/// <summary>A client's view of one RPC: its path, call type and message types.</summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    public Method(MethodType type, string serviceFullName, string name)
    {
        Type = type;
        ServiceName = serviceFullName;
        Name = name;
        Path = $"/{serviceFullName}/{name}";
    }

    public MethodType Type { get; }
    public string ServiceName { get; }
    public string Name { get; }
    /// <summary>/package.Service/Method.</summary>
    public string Path { get; }
    internal MessageParser<TResponse> ResponseParser => MessageParsers<TResponse>.Parser;

    /// <summary>The method as a generated descriptor defines it; checks the message types match.</summary>
    public static Method<TRequest, TResponse> FromDescriptor(MethodDescriptor method)
    {
        if (method.InputType.ClrType != typeof(TRequest) || method.OutputType.ClrType != typeof(TResponse))
            throw new ArgumentException(
                $"{GrpcMethodPath.Of(method)} is {method.InputType.FullName} -> {method.OutputType.FullName}, not {typeof(TRequest).Name} -> {typeof(TResponse).Name}.");
        return new Method<TRequest, TResponse>(GrpcMethodPath.TypeOf(method), method.Service.FullName, method.Name);
    }
}
