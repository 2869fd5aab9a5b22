namespace FaceMatch.Grpc.Client;

/// <summary>Base of typed clients: a typed client is a set of Method objects and one-line call methods over a channel.</summary>
public abstract class GrpcClientBase(GrpcChannel channel)
{
    protected GrpcChannel Channel { get; } = channel ?? throw new ArgumentNullException(nameof(channel));
}
