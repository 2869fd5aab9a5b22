using System.Collections;
using System.Net;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// The server's transport configuration, read from the environment (the README's configuration table).
/// A value that does not parse or is out of range is an <see cref="ArgumentException"/> naming the variable.
/// </summary>
public sealed record ServerSettings
{
    public const string PortVariable = "FACEMATCH_PORT";
    public const string BindVariable = "FACEMATCH_BIND";
    public const string AllowPlaintextVariable = "FACEMATCH_ALLOW_PLAINTEXT";
    public const string TlsCertVariable = "FACEMATCH_TLS_CERT";
    public const string TlsKeyVariable = "FACEMATCH_TLS_KEY";
    public const string MetricsPortVariable = "FACEMATCH_METRICS_PORT";
    public const string HttpPortVariable = "FACEMATCH_HTTP_PORT";
    public const string AllowedOriginsVariable = "FACEMATCH_HTTP_ALLOWED_ORIGINS";
    public const string MaxReceiveVariable = "FACEMATCH_GRPC_MAX_RECEIVE_BYTES";
    public const string MaxSendVariable = "FACEMATCH_GRPC_MAX_SEND_BYTES";
    public const string MaxStreamsVariable = "FACEMATCH_GRPC_MAX_CONCURRENT_STREAMS";
    public const string MaxConnectionsVariable = "FACEMATCH_MAX_CONNECTIONS";
    public const string MaxCallVariable = "FACEMATCH_MAX_CALL_SECONDS";
    public const string CompressionVariable = "FACEMATCH_GRPC_COMPRESSION";
    public const string ShutdownVariable = "FACEMATCH_GRPC_SHUTDOWN_SECONDS";

    public const int DefaultPort = 50051;
    public const int DefaultMetricsPort = 9464;
    public const int DefaultMaxReceiveBytes = 4 * 1024 * 1024;

    public int Port { get; init; } = DefaultPort;
    /// <summary>Where both endpoints listen; loopback unless the operator says otherwise.</summary>
    public BindAddress Bind { get; init; } = BindAddress.Loopback;
    /// <summary>Cleartext on a non-loopback address, for deployments behind a TLS-terminating proxy or mesh.</summary>
    public bool AllowPlaintext { get; init; }
    public string? TlsCertificatePath { get; init; }
    public string? TlsKeyPath { get; init; }
    /// <summary>HTTP/1.1 port of <c>/metrics</c>.</summary>
    public int MetricsPort { get; init; } = DefaultMetricsPort;
    /// <summary>
    /// HTTP/1.1 port of the browser console, the WebSocket sessions and the JSON API; null (the default) serves none
    /// of them. Bound like the other ports (<see cref="Bind"/>, TLS, the cleartext rule).
    /// </summary>
    public int? HttpPort { get; init; }
    /// <summary>
    /// Origins (<c>https://host[:port]</c>) besides the server's own whose pages may open WebSocket sessions; empty:
    /// same-origin only.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    public int MaxReceiveMessageBytes { get; init; } = DefaultMaxReceiveBytes;
    public int MaxSendMessageBytes { get; init; } = DefaultMaxReceiveBytes;
    /// <summary>HTTP/2 streams (concurrent calls) per connection.</summary>
    public int MaxConcurrentStreams { get; init; } = 100;
    public int MaxConnections { get; init; } = 1000;
    /// <summary>The longest any call may run: calls without a deadline, or with a later one, get this one.</summary>
    public TimeSpan MaxCallDuration { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>gzip, or null for uncompressed responses (compressed requests are always accepted).</summary>
    public string? ResponseCompression { get; init; }
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool IsTls => TlsCertificatePath is not null;

    public static ServerSettings FromEnvironment() => FromVariables(Environment.GetEnvironmentVariables());

    public static ServerSettings FromVariables(IDictionary variables)
    {
        string? Get(string name) => SettingValue.Text(variables, name);

        var cert = Get(TlsCertVariable);
        var key = Get(TlsKeyVariable);
        if ((cert is null) != (key is null))
            throw new ArgumentException($"TLS needs both {TlsCertVariable} and {TlsKeyVariable} (PEM files); only one is set.");

        var compression = Get(CompressionVariable)?.ToLowerInvariant();
        if (compression is "none" or "identity") compression = null;
        else if (compression is not null and not "gzip")
            throw new ArgumentException($"{CompressionVariable}='{compression}' is not gzip or none.");

        var bind = Get(BindVariable);
        var settings = new ServerSettings
        {
            Port = SettingValue.Int(variables, PortVariable, DefaultPort, 0, 65535),
            Bind = bind is null ? BindAddress.Loopback : BindAddress.Parse(bind, BindVariable),
            AllowPlaintext = SettingValue.Bool(variables, AllowPlaintextVariable),
            TlsCertificatePath = cert,
            TlsKeyPath = key,
            MetricsPort = SettingValue.Int(variables, MetricsPortVariable, DefaultMetricsPort, 0, 65535),
            HttpPort = Get(HttpPortVariable) is null ? null : SettingValue.Int(variables, HttpPortVariable, 0, 0, 65535),
            AllowedOrigins = ParseOrigins(Get(AllowedOriginsVariable)),
            MaxReceiveMessageBytes = SettingValue.Int(variables, MaxReceiveVariable, DefaultMaxReceiveBytes, 1024, int.MaxValue),
            MaxSendMessageBytes = SettingValue.Int(variables, MaxSendVariable, DefaultMaxReceiveBytes, 1024, int.MaxValue),
            MaxConcurrentStreams = SettingValue.Int(variables, MaxStreamsVariable, 100, 1, 10_000),
            MaxConnections = SettingValue.Int(variables, MaxConnectionsVariable, 1000, 1, 1_000_000),
            MaxCallDuration = TimeSpan.FromSeconds(SettingValue.Int(variables, MaxCallVariable, 300, 1, 86_400)),
            ResponseCompression = compression,
            ShutdownTimeout = TimeSpan.FromSeconds(SettingValue.Int(variables, ShutdownVariable, 10, 0, 3600)),
        };
        if (settings.Port != 0 && settings.Port == settings.MetricsPort)
            throw new ArgumentException($"{PortVariable} and {MetricsPortVariable} are both {settings.Port}; the gRPC and metrics endpoints need two ports.");
        if (settings.HttpPort is { } http and not 0 && (http == settings.Port || http == settings.MetricsPort))
            throw new ArgumentException($"{HttpPortVariable}={http} is also {(http == settings.Port ? PortVariable : MetricsPortVariable)}; the HTTP endpoint needs a port of its own.");
        return settings;
    }

    /// <summary>A comma-separated list of origins, each normalised to <c>scheme://host[:port]</c> as browsers send it.</summary>
    private static string[] ParseOrigins(string? text)
    {
        if (text is null) return [];
        return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(origin =>
            Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
                && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
                ? uri.GetLeftPart(UriPartial.Authority)
                : throw new ArgumentException($"{AllowedOriginsVariable}: '{origin}' is not an origin (http:// or https://, a host and an optional port, no path)."))];
    }

    /// <summary>
    /// Cleartext is served only where nobody else can listen in: on loopback, or off it when the operator has
    /// said a proxy or mesh terminates TLS in front of us.
    /// </summary>
    /// <exception cref="ArgumentException">a non-loopback bind without TLS and without the opt-in.</exception>
    public void EnsureTransportIsSafe()
    {
        if (IsTls || Bind.IsLoopback || AllowPlaintext) return;
        throw new ArgumentException(
            $"{BindVariable}={Bind} is not a loopback address, and serving cleartext there would expose tokens and face images to the network. " +
            $"Set {TlsCertVariable} and {TlsKeyVariable} (PEM files) to serve TLS, or {AllowPlaintextVariable}=true if a TLS-terminating proxy or mesh sits in front of this server.");
    }

    /// <summary>True when cleartext will be served beyond loopback (allowed only by the opt-in): worth a warning at start.</summary>
    public bool ServesPlaintextOffLoopback => !IsTls && !Bind.IsLoopback;
}

/// <summary>The address both endpoints listen on: loopback (127.0.0.1 and ::1, "localhost") or one IP address.</summary>
public sealed record BindAddress(IPAddress? Address)
{
    /// <summary>127.0.0.1 and [::1].</summary>
    public static BindAddress Loopback { get; } = new((IPAddress?)null);

    public bool IsLoopback => Address is null || IPAddress.IsLoopback(Address);

    public static BindAddress Parse(string text, string variable)
    {
        if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return Loopback;
        if (IPAddress.TryParse(text.Trim('[', ']'), out var ip)) return new BindAddress(ip);
        throw new ArgumentException($"{variable}='{text}' is not an IP address or localhost (use 0.0.0.0 for every IPv4 interface, :: for every IPv6 one).");
    }

    public override string ToString() => Address?.ToString() ?? "localhost";
}
