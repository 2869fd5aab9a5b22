using System.Security.Cryptography.X509Certificates;
using InteropTestService.V1;
using FaceMatch.Server.Hosting;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// The product host (<see cref="FaceMatchServer"/>: Kestrel, the call pipeline, health, reflection, metrics) on
/// free loopback ports, serving the Interop test service; health SERVING; stopped on dispose.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    private GrpcTestServer(FaceMatchServer server, TestLogSink log)
    {
        Server = server;
        Log = log;
        Interop = server.Services.GetRequiredService<InteropService>();
    }

    public FaceMatchServer Server { get; }
    public InteropService Interop { get; }
    /// <summary>Every line the server logged.</summary>
    public TestLogSink Log { get; }
    public int Port => Server.Port;
    /// <summary>host:port as grpc-js and grpcio want it.</summary>
    public string Target => Server.IsTls ? $"localhost:{Port}" : $"127.0.0.1:{Port}";

    /// <param name="certificate">PEM paths: TLS with ALPN h2.</param>
    /// <param name="serving">false: health stays NOT_SERVING until the test marks the server ready.</param>
    public static async Task<GrpcTestServer> StartAsync(Func<ServerSettings, ServerSettings>? configure = null,
        (string Cert, string Key)? certificate = null, bool serving = true)
    {
        var settings = new ServerSettings
        {
            Port = 0,
            MetricsPort = 0,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            TlsCertificatePath = certificate?.Cert,
            TlsKeyPath = certificate?.Key,
        };
        settings = configure?.Invoke(settings) ?? settings;
        var log = new TestLogSink();
        var server = FaceMatchServer.Create(settings,
            c => c.ConfigureServices(s => s.AddSingleton<InteropService>()).MapService<InteropService>(),
            logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Information));
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.StartAsync(startup.Token);
        if (serving) server.MarkServing();
        return new GrpcTestServer(server, log);
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Server.LocalAddress, options ?? new GrpcChannelOptions());

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await Server.StopAsync(stop.Token); }
        finally { await Server.DisposeAsync(); }
    }
}
