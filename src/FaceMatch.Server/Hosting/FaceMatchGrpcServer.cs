using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using FaceMatch.Grpc.Services.Health;
using FaceMatch.Grpc.Services.Reflection;
using Microsoft.Extensions.Logging;
using ServingStatus = FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// The FaceMatch gRPC server process: Kestrel on FACEMATCH_PORT with Health and reflection, plus the
/// application services given to it. Health says NOT_SERVING from the start until <see cref="MarkServing"/>
/// (called once every model is loaded), and NOT_SERVING again once a stop begins.
/// </summary>
public sealed class FaceMatchGrpcServer : IAsyncDisposable
{
    private readonly GrpcServerHost _host;
    private readonly IReadOnlyList<string> _serviceNames;

    private FaceMatchGrpcServer(GrpcServerHost host, HealthService health, IReadOnlyList<string> serviceNames)
    {
        _host = host;
        Health = health;
        _serviceNames = serviceNames;
    }

    public HealthService Health { get; }
    public int Port => _host.Port;
    public bool IsTls => _host.IsTls;
    public Uri LocalAddress => _host.LocalAddress;

    public static FaceMatchGrpcServer Create(GrpcHostOptions options, IEnumerable<GrpcServiceDefinition> services, ILoggerFactory? loggerFactory = null)
    {
        var health = new HealthService();
        var registry = new GrpcServiceRegistry();
        var names = new List<string>();
        foreach (var service in services)
        {
            registry.Add(service);
            names.Add(service.Service.FullName);
        }
        registry.Add(health).AddReflection();
        health.SetStatus(HealthService.Server, ServingStatus.NotServing);
        foreach (var name in names) health.SetStatus(name, ServingStatus.NotServing);
        return new FaceMatchGrpcServer(GrpcServerHost.Create(options, registry, loggerFactory), health, names);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _host.StartAsync(cancellationToken);

    /// <summary>Everything the services need is ready: Health answers SERVING for the server and each service.</summary>
    public void MarkServing()
    {
        Health.SetStatus(HealthService.Server, ServingStatus.Serving);
        foreach (var name in _serviceNames) Health.SetStatus(name, ServingStatus.Serving);
    }

    /// <summary>Graceful stop: health turns NOT_SERVING, new calls are refused, calls in flight get the shutdown timeout to finish.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Health.EnterShutdown();
        await _host.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
