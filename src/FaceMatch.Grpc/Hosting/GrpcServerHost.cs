using System.Net;
using FaceMatch.Grpc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceMatch.Grpc.Hosting;

/// <summary>
/// A Kestrel server that speaks only gRPC: one HTTP/2 endpoint (h2c, or TLS with ALPN h2 when a
/// certificate is given) whose every request goes to the <see cref="GrpcDispatcher"/>.
/// </summary>
public sealed class GrpcServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcHostOptions _options;
    private int _port;

    private GrpcServerHost(WebApplication app, GrpcHostOptions options)
    {
        _app = app;
        _options = options;
    }

    public static GrpcServerHost Create(GrpcHostOptions options, GrpcServiceRegistry registry, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "FaceMatch.Grpc" });
        builder.Services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        // The process owns its signals (the CLI turns SIGINT/SIGTERM into a graceful StopAsync); an embedded
        // server must not install the console lifetime's own handlers.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore();
        if (options.Certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = options.Server.MaxConcurrentStreams;
            kestrel.Limits.Http2.InitialConnectionWindowSize = options.InitialConnectionWindowSize;
            kestrel.Limits.Http2.InitialStreamWindowSize = options.InitialStreamWindowSize;
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.Certificate is { } certificate)
                    listen.UseHttps(certificate);
            }
            // "Any" means both IPv4 and IPv6 where the machine has IPv6 (Kestrel falls back to IPv4 alone).
            if (options.Address.Equals(IPAddress.Any) || options.Address.Equals(IPAddress.IPv6Any))
                kestrel.ListenAnyIP(options.Port, Configure);
            else
                kestrel.Listen(options.Address, options.Port, Configure);
        });
        var app = builder.Build();
        var dispatcher = new GrpcDispatcher(registry, options.Server, app.Services.GetRequiredService<ILoggerFactory>());
        app.Run(dispatcher.DispatchAsync);
        return new GrpcServerHost(app, options);
    }

    /// <summary>The bound TCP port (the real one when 0 was asked for); valid after StartAsync.</summary>
    public int Port => _port != 0 ? _port : throw new InvalidOperationException("The server has not started.");

    public bool IsTls => _options.Certificate is not null;

    /// <summary>An address a local client can use: http(s)://127.0.0.1:port (or localhost for TLS, to match certificates).</summary>
    public Uri LocalAddress => new($"{(IsTls ? "https" : "http")}://{(IsTls ? "localhost" : LoopbackText())}:{Port}");

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        _port = new Uri(first.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
    }

    /// <summary>Stops accepting calls and waits (up to the shutdown timeout) for the ones in flight.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Fires when a stop begins, before calls in flight are waited for.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync().ConfigureAwait(false);

    private string LoopbackText() => _options.Address.Equals(IPAddress.IPv6Loopback) ? "[::1]" : "127.0.0.1";

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
