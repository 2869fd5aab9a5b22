using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc;

/// <summary>Method paths as gRPC puts them in :path.</summary>
public static class GrpcMethodPath
{
    public static string Of(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    public static MethodType TypeOf(MethodDescriptor method) => (method.IsClientStreaming, method.IsServerStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (true, false) => MethodType.ClientStreaming,
        (false, true) => MethodType.ServerStreaming,
        (true, true) => MethodType.DuplexStreaming,
    };
}

/// <summary>One cached parser per message type, without reflection on the hot path.</summary>
public static class MessageParsers<T> where T : class, IMessage<T>, new()
{
    public static readonly MessageParser<T> Parser = new(static () => new T());
}
