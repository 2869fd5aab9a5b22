using FaceMatch.Grpc.Server.Binding;

namespace FaceMatch.Grpc.Server;

/// <summary>The services a server exposes, in the order added. Reflection lists exactly these.</summary>
public sealed class GrpcServiceRegistry
{
    private readonly List<GrpcServiceDefinition> _services = new();
    private readonly Lock _sync = new();

    public IReadOnlyList<GrpcServiceDefinition> Services
    {
        get { lock (_sync) return _services.ToArray(); }
    }

    public GrpcServiceRegistry Add(GrpcServiceDefinition service)
    {
        lock (_sync)
        {
            if (_services.Any(s => s.Service.FullName == service.Service.FullName))
                throw new InvalidOperationException($"Service {service.Service.FullName} is registered twice.");
            _services.Add(service);
        }
        return this;
    }

    public GrpcServiceRegistry Add(GrpcServiceBase implementation) => Add(GrpcServiceDefinition.FromService(implementation));
}
