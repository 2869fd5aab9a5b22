using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Tests.Interop;

namespace FaceMatch.Grpc.Tests.Support;

/// <summary>Typed client of facematch.interop.v1.Interop, as a later engineer would write one for facematch.v1.</summary>
public sealed class InteropClient(GrpcChannel channel) : GrpcClientBase(channel)
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor Service = InteropReflection.Descriptor.Services[0];
    public static readonly Method<EchoRequest, EchoResponse> UnaryMethod = Method<EchoRequest, EchoResponse>.FromDescriptor(Service.FindMethodByName("Unary"));
    public static readonly Method<EchoRequest, EchoResponse> ClientStreamMethod = Method<EchoRequest, EchoResponse>.FromDescriptor(Service.FindMethodByName("ClientStream"));
    public static readonly Method<EchoRequest, EchoResponse> ServerStreamMethod = Method<EchoRequest, EchoResponse>.FromDescriptor(Service.FindMethodByName("ServerStream"));
    public static readonly Method<EchoRequest, EchoResponse> DuplexMethod = Method<EchoRequest, EchoResponse>.FromDescriptor(Service.FindMethodByName("Duplex"));
    public static readonly Method<CancelQuery, CancelReport> WasCancelledMethod = Method<CancelQuery, CancelReport>.FromDescriptor(Service.FindMethodByName("WasCancelled"));
    public static readonly Method<EchoRequest, EchoResponse> NotBoundMethod = Method<EchoRequest, EchoResponse>.FromDescriptor(Service.FindMethodByName("NotBound"));

    public AsyncUnaryCall<EchoResponse> Unary(EchoRequest request, CallOptions options = default) => Channel.UnaryCall(UnaryMethod, request, options);
    public AsyncClientStreamingCall<EchoRequest, EchoResponse> ClientStream(CallOptions options = default) => Channel.ClientStreamingCall(ClientStreamMethod, options);
    public AsyncServerStreamingCall<EchoResponse> ServerStream(EchoRequest request, CallOptions options = default) => Channel.ServerStreamingCall(ServerStreamMethod, request, options);
    public AsyncDuplexStreamingCall<EchoRequest, EchoResponse> Duplex(CallOptions options = default) => Channel.DuplexStreamingCall(DuplexMethod, options);
    public AsyncUnaryCall<CancelReport> WasCancelled(CancelQuery query, CallOptions options = default) => Channel.UnaryCall(WasCancelledMethod, query, options);
    public AsyncUnaryCall<EchoResponse> NotBound(EchoRequest request, CallOptions options = default) => Channel.UnaryCall(NotBoundMethod, request, options);

    /// <summary>Options with a deadline, so no test call can wait for ever.</summary>
    public static CallOptions Bounded(Metadata? headers = null, CancellationToken token = default, double seconds = 20) =>
        CallOptions.WithTimeout(TimeSpan.FromSeconds(seconds), headers, token);
}
