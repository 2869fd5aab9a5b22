using System.Net;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Services.Health;
using FaceMatch.Grpc.Services.Reflection;

namespace FaceMatch.Grpc.Tests.Support;

/// <summary>Our server on a free loopback port with the Interop, Health and reflection services; stopped on dispose.</summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    private GrpcTestServer(GrpcServerHost host, InteropService interop, HealthService health)
    {
        Host = host;
        Interop = interop;
        Health = health;
    }

    public GrpcServerHost Host { get; }
    public InteropService Interop { get; }
    public HealthService Health { get; }
    public int Port => Host.Port;
    /// <summary>host:port as grpc-js wants it.</summary>
    public string Target => Host.IsTls ? $"localhost:{Port}" : $"127.0.0.1:{Port}";

    public static async Task<GrpcTestServer> StartAsync(Action<GrpcServerOptions>? configure = null, X509Certificate2? certificate = null)
    {
        var interop = new InteropService();
        var health = new HealthService();
        health.SetStatus(HealthService.Server, FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
        var registry = new GrpcServiceRegistry().Add(interop).Add(health).AddReflection();
        var options = new GrpcHostOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Certificate = certificate,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options.Server);
        var host = GrpcServerHost.Create(options, registry);
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(startup.Token);
        return new GrpcTestServer(host, interop, health);
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Host.LocalAddress, options);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Health.EnterShutdown();
        try { await Host.StopAsync(stop.Token); }
        finally { await Host.DisposeAsync(); }
    }
}
