using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Server.Observability;
using FaceMatch.Server.Pipeline;
using Grpc.Core.Interceptors;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// The FaceMatch server process on Grpc.AspNetCore and Kestrel: the gRPC endpoint (HTTP/2; TLS with ALPN h2
/// when a certificate is configured) with health, reflection and the services composed into it, and an
/// HTTP/1.1 endpoint serving <c>/metrics</c>, and, when <see cref="ServerSettings.HttpPort"/> is set, an HTTP/1.1 endpoint
/// for what browsers and plain HTTP clients use (<see cref="HttpPaths"/>: what the composition maps there, and the
/// JSON transcoding of annotated gRPC methods). Every gRPC call runs through one interceptor pipeline, built here
/// once: logging (outermost), metrics, exception mapping, then whatever the composition adds (authentication),
/// then the service method.
/// </summary>
public sealed partial class FaceMatchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions[] _grpcListeners;
    private readonly ListenOptions[] _metricsListeners;
    private readonly ListenOptions[] _httpListeners;
    // Known once Kestrel has bound (port 0 picks one); the pipeline's branches by port compare with them.
    private int _metricsPort = -1;
    private int _httpPort = -1;
    private readonly ILogger _logger;

    private FaceMatchServer(WebApplication app, ServerSettings settings, ListenOptions[] grpc, ListenOptions[] metrics, ListenOptions[] http)
    {
        _app = app;
        Settings = settings;
        _grpcListeners = grpc;
        _metricsListeners = metrics;
        _httpListeners = http;
        Readiness = app.Services.GetRequiredService<ServerReadiness>();
        Drain = app.Services.GetRequiredService<CallDrain>();
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<FaceMatchServer>();
    }

    public ServerSettings Settings { get; }
    public ServerReadiness Readiness { get; }
    /// <summary>The calls a graceful stop waits for (those the composition's readiness gate admitted).</summary>
    public CallDrain Drain { get; }
    public IServiceProvider Services => _app.Services;
    /// <summary>The bound gRPC port (the chosen one when <see cref="ServerSettings.Port"/> was 0); known once started.</summary>
    public int Port => BoundPort(_grpcListeners);
    public int MetricsPort => BoundPort(_metricsListeners);
    /// <summary>The bound HTTP port; 0 when <see cref="ServerSettings.HttpPort"/> is not set.</summary>
    public int HttpPort => BoundPort(_httpListeners);
    public bool IsTls => Settings.IsTls;
    /// <summary>An address a client on this machine can use (http:// for h2c, https://localhost for TLS).</summary>
    public Uri LocalAddress => new(IsTls ? $"https://localhost:{Port}" : $"http://127.0.0.1:{Port}");
    public Uri MetricsAddress => new($"{(IsTls ? "https://localhost" : "http://127.0.0.1")}:{MetricsPort}/metrics");
    public Uri HttpAddress => new($"{(IsTls ? "https://localhost" : "http://127.0.0.1")}:{HttpPort}/");

    /// <exception cref="ArgumentException">an unsafe bind (see <see cref="ServerSettings.EnsureTransportIsSafe"/>).</exception>
    /// <exception cref="IOException">the TLS certificate or key cannot be read.</exception>
    public static FaceMatchServer Create(ServerSettings settings, Action<ServerComposition>? compose = null,
        Action<ILoggingBuilder>? logging = null)
    {
        settings.EnsureTransportIsSafe();
        var certificate = settings.IsTls ? LoadCertificate(settings) : null;
        var composition = new ServerComposition();
        compose?.Invoke(composition);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "facematch" });
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        // Framework request logs would repeat each call; the call pipeline logs it once, without personal data.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning)
            // "Unhealthy" is how readiness says "starting" or "stopping": expected states, not errors to log each second.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);

        var grpcListeners = new List<ListenOptions>();
        var metricsListeners = new List<ListenOptions>();
        var httpListeners = new List<ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ConfigureLimits(kestrel.Limits, settings);
            kestrel.AddServerHeader = false;
            Listen(kestrel, settings, settings.Port, HttpProtocols.Http2, certificate, grpcListeners);
            Listen(kestrel, settings, settings.MetricsPort, HttpProtocols.Http1, certificate, metricsListeners);
            if (settings.HttpPort is { } httpPort) Listen(kestrel, settings, httpPort, HttpProtocols.Http1, certificate, httpListeners);
        });

        var services = builder.Services;
        var grpc = services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = settings.MaxReceiveMessageBytes;
            o.MaxSendMessageSize = settings.MaxSendMessageBytes;
            o.ResponseCompressionAlgorithm = settings.ResponseCompression;
            o.ResponseCompressionLevel = CompressionLevel.Fastest;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<CallLoggingInterceptor>();
            o.Interceptors.Add<CallMetricsInterceptor>();
            o.Interceptors.Add<ExceptionMappingInterceptor>();
            foreach (var interceptor in composition.Interceptors) o.Interceptors.Add(interceptor);
        });
        if (settings.HttpPort is not null) JsonApi.AddServices(grpc);
        services.AddGrpcReflection();
        services.AddSingleton<ServerReadiness>();
        services.AddSingleton<CallDrain>();
        services.AddGrpcHealthChecks(o => o.Services.Map("", _ => true))
            .Add(new HealthCheckRegistration("ready", sp => sp.GetRequiredService<ServerReadiness>(), HealthStatus.Unhealthy, null));
        // Watch streams follow the published results; publish often so a change reaches them within a second.
        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(1);
        });
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        foreach (var configure in composition.ServiceRegistrations) configure(services);

        VisionMetricsBridge.EnsureStarted();
        var app = builder.Build();
        FaceMatchServer? server = null;
        // The metrics endpoint answers /metrics and nothing else; the gRPC endpoint never answers it.
        app.MapWhen(http => server is not null && http.Connection.LocalPort == server._metricsPort, metrics =>
        {
            metrics.UseMetricServer("/metrics");
            metrics.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        // The HTTP port serves its own paths only, and the gRPC port none of them.
        app.Use((http, next) =>
        {
            var onHttpPort = server is not null && http.Connection.LocalPort == server._httpPort;
            if (onHttpPort == HttpPaths.Serves(http.Request.Path)) return next(http);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        app.UseMiddleware<CallDurationCap>(settings.MaxCallDuration);
        if (settings.HttpPort is not null)
        {
            JsonApi.Map(app);
            foreach (var map in composition.HttpMappings) map(app);
        }
        foreach (var map in composition.ServiceMappings) map(app);
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();

        server = new FaceMatchServer(app, settings, [.. grpcListeners], [.. metricsListeners], [.. httpListeners]);
        return server;
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        _metricsPort = BoundPort(_metricsListeners);
        _httpPort = _httpListeners.Length == 0 ? -1 : BoundPort(_httpListeners);
        if (Settings.ServesPlaintextOffLoopback)
            _app.Logger.LogWarning(
                "serving cleartext gRPC and metrics{AndHttp} on {Bind} ({Variable}=true): only safe behind a TLS-terminating proxy or mesh",
                Settings.HttpPort is null ? "" : " and HTTP (the console, WebSocket sessions, the JSON API)", Settings.Bind, ServerSettings.AllowPlaintextVariable);
    }

    /// <summary>Everything the services need is ready: health answers SERVING.</summary>
    public void MarkServing() => Readiness.MarkServing();

    /// <summary>
    /// Graceful stop. Health turns NOT_SERVING at once, while the endpoints still listen, so probes and clients are
    /// told why rather than refused a connection; the calls in <see cref="Drain"/> get the shutdown timeout to finish,
    /// then are cancelled and get <see cref="CallDrain.StatusAllowance"/> to send their status; then Kestrel closes
    /// the connections (calls outside the drain, such as health watches, had the same grace period).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Readiness.MarkStopping();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(Settings.ShutdownTimeout);
        var running = await Drain.DrainAsync(grace.Token).ConfigureAwait(false);
        if (running > 0) LogCallsLeft(_logger, running, Settings.ShutdownTimeout.TotalSeconds);
        await _app.StopAsync(grace.Token).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Running} calls still running after the {GraceSeconds:0} s grace period and their cancellation; closing their connections")]
    private static partial void LogCallsLeft(ILogger logger, int running, double graceSeconds);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static void ConfigureLimits(KestrelServerLimits limits, ServerSettings settings)
    {
        limits.MaxConcurrentConnections = settings.MaxConnections;
        // Only the HTTP port's WebSocket sessions upgrade a connection; with no HTTP port nothing may.
        limits.MaxConcurrentUpgradedConnections = settings.HttpPort is null ? 0 : settings.MaxConnections;
        // A client must send its headers promptly and keep request bodies moving (grpc-dotnet lifts the body
        // rate for client-streaming and duplex calls, whose pauses are normal; their bound is the call duration).
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.Http2.MaxStreamsPerConnection = settings.MaxConcurrentStreams;
        // Pings find dead phones' connections (NAT timeouts, lost radios) so their streams are released.
        limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        // Windows large enough that a 4 MiB frame is not throttled by window updates.
        limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
        limits.Http2.InitialStreamWindowSize = 2 * 1024 * 1024;
    }

    private static void Listen(KestrelServerOptions kestrel, ServerSettings settings, int port, HttpProtocols protocols,
        X509Certificate2? certificate, List<ListenOptions> bound)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (certificate is not null) listen.UseHttps(certificate);
            bound.Add(listen);
        }

        if (settings.Bind.Address is { } address) kestrel.Listen(address, port, Configure);
        else if (port == 0) kestrel.Listen(IPAddress.Loopback, 0, Configure);   // Kestrel picks no port for "localhost"
        else kestrel.ListenLocalhost(port, Configure);
    }

    private static int BoundPort(ListenOptions[] listeners) =>
        listeners.Select(l => l.IPEndPoint?.Port ?? 0).FirstOrDefault(p => p != 0);

    private static X509Certificate2 LoadCertificate(ServerSettings settings)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(settings.TlsCertificatePath!, settings.TlsKeyPath!);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"cannot load the TLS certificate ({ServerSettings.TlsCertVariable}) and key ({ServerSettings.TlsKeyVariable}): {e.Message}", e);
        }
    }
}

/// <summary>What a composition root adds to the server: services to bind, the objects they need, interceptors.</summary>
public sealed class ServerComposition
{
    internal List<Action<IServiceCollection>> ServiceRegistrations { get; } = [];
    internal List<Action<WebApplication>> ServiceMappings { get; } = [];
    internal List<Action<WebApplication>> HttpMappings { get; } = [];
    internal List<Type> Interceptors { get; } = [];

    /// <summary>Binds a gRPC service (a generated base class's implementation); reflection lists it.</summary>
    public ServerComposition MapService<TService>() where TService : class
    {
        ServiceMappings.Add(app => app.MapGrpcService<TService>());
        return this;
    }

    /// <summary>Binds the service only when <paramref name="enabled"/> (one the configuration turns on).</summary>
    public ServerComposition MapServiceIf<TService>(bool enabled) where TService : class => enabled ? MapService<TService>() : this;

    /// <summary>
    /// Adds middleware and endpoints for the HTTP port (under <see cref="HttpPaths"/>), mapped only when the port is
    /// configured; the gRPC port never serves them.
    /// </summary>
    public ServerComposition MapHttp(Action<WebApplication> map)
    {
        HttpMappings.Add(map);
        return this;
    }

    /// <summary>Registers what the services take in their constructors.</summary>
    public ServerComposition ConfigureServices(Action<IServiceCollection> configure)
    {
        ServiceRegistrations.Add(configure);
        return this;
    }

    /// <summary>Adds an interceptor inside the built-in ones (it sees exceptions before they are mapped to statuses).</summary>
    public ServerComposition AddInterceptor<TInterceptor>() where TInterceptor : Interceptor
    {
        Interceptors.Add(typeof(TInterceptor));
        return this;
    }
}
