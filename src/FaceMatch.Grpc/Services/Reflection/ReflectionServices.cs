using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using V1 = FaceMatch.Grpc.Reflection.V1;
using V1Alpha = FaceMatch.Grpc.Reflection.V1Alpha;

namespace FaceMatch.Grpc.Services.Reflection;

/// <summary>grpc.reflection.v1.ServerReflection over the services of a registry (read when a stream starts).</summary>
public sealed class ReflectionServiceV1(GrpcServiceRegistry registry) : GrpcServiceBase
{
    public override ServiceDescriptor Descriptor => V1.ReflectionReflection.Descriptor.Services[0];

    public async Task ServerReflectionInfo(IAsyncStreamReader<V1.ServerReflectionRequest> requests,
        IServerStreamWriter<V1.ServerReflectionResponse> responses, ServerCallContext context)
    {
        var responder = new ReflectionResponder(new DescriptorIndex(registry.Services.Select(s => s.Service)));
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            await responses.WriteAsync(responder.Answer(requests.Current), context.CancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// grpc.reflection.v1alpha.ServerReflection, which older tools still use. Its messages are the same on
/// the wire as v1's, so each request is re-read as v1, answered, and the answer re-read as v1alpha.
/// </summary>
public sealed class ReflectionServiceV1Alpha(GrpcServiceRegistry registry) : GrpcServiceBase
{
    public override ServiceDescriptor Descriptor => V1Alpha.ReflectionReflection.Descriptor.Services[0];

    public async Task ServerReflectionInfo(IAsyncStreamReader<V1Alpha.ServerReflectionRequest> requests,
        IServerStreamWriter<V1Alpha.ServerReflectionResponse> responses, ServerCallContext context)
    {
        var responder = new ReflectionResponder(new DescriptorIndex(registry.Services.Select(s => s.Service)));
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var request = V1.ServerReflectionRequest.Parser.ParseFrom(requests.Current.ToByteString());
            var answer = responder.Answer(request);
            await responses.WriteAsync(V1Alpha.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()),
                context.CancellationToken).ConfigureAwait(false);
        }
    }
}

public static class ReflectionRegistryExtensions
{
    /// <summary>Adds both reflection services; they list every service in the registry, themselves included.</summary>
    public static GrpcServiceRegistry AddReflection(this GrpcServiceRegistry registry) =>
        registry.Add(new ReflectionServiceV1(registry)).Add(new ReflectionServiceV1Alpha(registry));
}
