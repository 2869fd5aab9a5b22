using FaceMatch.Grpc.Health.V1;

namespace FaceMatch.Grpc.Client;

/// <summary>Typed client of grpc.health.v1.Health.</summary>
public sealed class HealthClient(GrpcChannel channel) : GrpcClientBase(channel)
{
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> CheckMethod =
        Method<HealthCheckRequest, HealthCheckResponse>.FromDescriptor(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> WatchMethod =
        Method<HealthCheckRequest, HealthCheckResponse>.FromDescriptor(HealthReflection.Descriptor.Services[0].FindMethodByName("Watch"));

    public AsyncUnaryCall<HealthCheckResponse> Check(HealthCheckRequest request, CallOptions options = default) =>
        Channel.UnaryCall(CheckMethod, request, options);

    public AsyncServerStreamingCall<HealthCheckResponse> Watch(HealthCheckRequest request, CallOptions options = default) =>
        Channel.ServerStreamingCall(WatchMethod, request, options);
}
