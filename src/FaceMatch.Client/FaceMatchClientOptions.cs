using System.Net;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Api.V1;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Client;

/// <summary>
/// How a <see cref="FaceMatchClient"/> or <see cref="FaceMatchAdminClient"/> reaches its server: the address, the
/// bearer token, deadlines, retries and TLS. Only <see cref="Address"/> is required; every default is the safe one.
/// </summary>
/// <remarks>A class rather than a record, so that no generated <c>ToString</c> ever prints the token.</remarks>
public sealed class FaceMatchClientOptions
{
    /// <summary>Default deadline of a unary call: 30 s.</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Default deadline of a session: 90 s, a little over the server's default session limit (60 s), so that a
    /// session the server ends itself reports the server's status rather than the client's deadline.
    /// </summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The server: <c>https://host:port</c> for TLS, or <c>http://host:port</c> for cleartext HTTP/2, which is
    /// accepted for loopback hosts only unless <see cref="AllowPlaintext"/> is set.
    /// </summary>
    public required Uri Address { get; init; }

    /// <summary>
    /// The bearer token sent with every call (<c>authorization: Bearer …</c>): a tenant token for
    /// <see cref="FaceMatchClient"/>, the admin token for <see cref="FaceMatchAdminClient"/>. Null sends none, which
    /// only health checks accept.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Deadline of each unary call, retries and their backoff included. <see cref="Timeout.InfiniteTimeSpan"/> sets
    /// none (the server still caps every call).
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = DefaultCallTimeout;

    /// <summary>Deadline of a whole session, from the start message to the result.</summary>
    public TimeSpan SessionTimeout { get; init; } = DefaultSessionTimeout;

    /// <summary>
    /// Frames a session sends before their feedback is back, 1..30. The server analyses a session's frames one at a
    /// time, so more only fills buffers; 2 keeps the server busy across one network round trip, and 1 sends each frame
    /// only after the last one's feedback.
    /// </summary>
    public int MaxFramesInFlight { get; init; } = 2;

    /// <summary>Retries of the calls that are safe to repeat.</summary>
    public FaceMatchRetryOptions Retry { get; init; } = new();

    /// <summary>
    /// Root certificates to trust instead of the system's, for a server whose certificate a private CA issued
    /// (<see cref="LoadCaCertificates"/> reads them from a PEM file). The server's name and the certificate's purpose
    /// are still checked. Needs an https address.
    /// </summary>
    public X509Certificate2Collection? CaCertificates { get; init; }

    /// <summary>
    /// The name the server's certificate must carry, when it is not the address's host: servers dialled by IP that
    /// share one certificate for a service name (replicas behind a headless Service). Needs
    /// <see cref="CaCertificates"/>, so that only the private CA's certificates can answer to that name.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// Allows an http:// address on another machine: the token and the images then cross the network in clear.
    /// Only for a network path that is protected some other way (the server's FACEMATCH_ALLOW_PLAINTEXT is its
    /// side of the same choice).
    /// </summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>What sessions report about the device (the server keeps the device id only keyed-hashed).</summary>
    public DeviceInfo? Device { get; init; }

    /// <summary>Where grpc-dotnet logs the channel's events; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Reads the PEM certificates of a private CA for <see cref="CaCertificates"/>.</summary>
    /// <exception cref="ArgumentException">the file holds no certificate.</exception>
    public static X509Certificate2Collection LoadCaCertificates(string pemPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pemPath);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(pemPath);
        return roots.Count > 0 ? roots : throw new ArgumentException($"{pemPath} holds no PEM certificate", nameof(pemPath));
    }

    /// <summary>Checks the options; the clients call it on construction.</summary>
    /// <exception cref="ArgumentException">what is wrong, by name (never echoing the token).</exception>
    public void Validate()
    {
        if (Address is null) throw new ArgumentException("Address is required", nameof(Address));
        if (!Address.IsAbsoluteUri || Address.Scheme is not ("http" or "https"))
            throw new ArgumentException($"Address must be http://host:port or https://host:port, not '{Address}'", nameof(Address));
        var tls = Address.Scheme == "https";
        if (!tls && !AllowPlaintext && !IsLoopback(Address.Host))
            throw new ArgumentException(
                $"Address {Address} is cleartext to another machine: use https, or set AllowPlaintext when the network path is protected otherwise",
                nameof(Address));
        if (!tls && CaCertificates is { Count: > 0 })
            throw new ArgumentException("CaCertificates need an https Address", nameof(CaCertificates));
        if (ServerName is not null && (ServerName.Length == 0 || Uri.CheckHostName(ServerName) != UriHostNameType.Dns))
            throw new ArgumentException($"ServerName must be a DNS name, not '{ServerName}'", nameof(ServerName));
        if (ServerName is not null && CaCertificates is not { Count: > 0 })
            throw new ArgumentException("ServerName needs CaCertificates (a private CA) and an https Address", nameof(ServerName));
        if (Token is not null && (Token.Length == 0 || Token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw new ArgumentException("Token must be non-empty, without spaces or control characters", nameof(Token));
        CheckTimeout(CallTimeout, nameof(CallTimeout));
        CheckTimeout(SessionTimeout, nameof(SessionTimeout));
        if (MaxFramesInFlight is < 1 or > 30) throw new ArgumentException("MaxFramesInFlight must be 1..30", nameof(MaxFramesInFlight));
        (Retry ?? throw new ArgumentException("Retry is required", nameof(Retry))).Validate();
    }

    private static void CheckTimeout(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{name} must be positive, or Timeout.InfiniteTimeSpan for none", name);
    }

    internal static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
