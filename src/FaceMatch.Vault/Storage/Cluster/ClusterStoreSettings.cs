using System.Net;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>
/// Where and how to reach the Redis-protocol store cluster that <see cref="ClusterStore"/> keeps the vault's sealed
/// records in. Only <see cref="Endpoints"/> is required.
/// </summary>
public sealed record ClusterStoreSettings
{
    /// <summary>Seed nodes, <c>host:port</c>; the client discovers the rest of the cluster from any one of them.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>The store's password (AUTH), or null for none. Read it with <see cref="ReadPasswordFile"/>.</summary>
    public string? Password { get; init; }

    /// <summary>TLS to every node (the system's trust store, or <see cref="CaCertificateFile"/>).</summary>
    public bool UseTls { get; init; }

    /// <summary>A PEM CA certificate the nodes' certificates must chain to, instead of the system's roots.</summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>
    /// The one name every node's certificate must carry, checked instead of the address the client dials: the
    /// client reaches nodes at the IPs the cluster announces, which a certificate shared by every node cannot name
    /// (pod IPs). Only certificates issued by <see cref="CaCertificateFile"/> may answer to it, not the system's roots.
    /// </summary>
    public string? TlsName { get; init; }

    /// <summary>
    /// Cleartext to a node that is not on loopback. Values are sealed either way, but the password and the key
    /// access pattern are not: off by default.
    /// </summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>
    /// Replicas that must confirm a write (WAIT) before it is acknowledged, on top of the primary's own fsync.
    /// 0 acknowledges on the primary's fsync alone (a store without replicas).
    /// </summary>
    public int ReplicaAcks { get; init; } = 1;

    /// <summary>How long a commit waits for replicas to confirm before the write is reported unavailable.</summary>
    public TimeSpan ReplicaAckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Connect and per-operation timeout.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long compaction waits for every node's rewrite to finish.</summary>
    public TimeSpan CompactionTimeout { get; init; } = TimeSpan.FromMinutes(5);

    internal IReadOnlyList<(string Host, int Port)> ParsedEndpoints() => Endpoints.Select(Parse).ToList();

    /// <exception cref="VaultConfigurationException">what is wrong, in words.</exception>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0) throw new VaultConfigurationException("the store cluster needs at least one endpoint (host:port)");
        foreach (var (host, _) in ParsedEndpoints())
            if (!UseTls && !AllowPlaintext && !IsLoopback(host))
                throw new VaultConfigurationException($"store endpoint {host} is not on loopback: use TLS, or allow plaintext explicitly");
        if (ReplicaAcks is < 0 or > 16) throw new VaultConfigurationException("ReplicaAcks must be within 0..16");
        if (ReplicaAckTimeout <= TimeSpan.Zero || OperationTimeout <= TimeSpan.Zero || CompactionTimeout <= TimeSpan.Zero)
            throw new VaultConfigurationException("cluster store timeouts must be positive");
        if (CaCertificateFile is not null && !File.Exists(CaCertificateFile))
            throw new VaultConfigurationException($"CA certificate {CaCertificateFile} does not exist");
        if (TlsName is not null)
        {
            if (Uri.CheckHostName(TlsName) != UriHostNameType.Dns)
                throw new VaultConfigurationException($"TLS name '{TlsName}' is not a DNS name");
            if (!UseTls) throw new VaultConfigurationException("a TLS name is set but TLS to the store is off");
            if (CaCertificateFile is null)
                throw new VaultConfigurationException("a TLS name needs the store's private CA certificate: only its certificates may answer to that name");
        }
    }

    /// <summary>
    /// The password in <paramref name="path"/> (surrounding whitespace trimmed), read once. Like the master key
    /// file, it must not be readable or writable by group or others.
    /// </summary>
    public static string ReadPasswordFile(string path)
    {
        if (!File.Exists(path)) throw new VaultConfigurationException($"store password file {path} does not exist");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                throw new VaultConfigurationException($"{path} is readable or writable by group or others; chmod 600 it");
        }
        var password = File.ReadAllText(path).Trim();
        if (password.Length == 0) throw new VaultConfigurationException($"store password file {path} is empty");
        return password;
    }

    private static (string Host, int Port) Parse(string endpoint)
    {
        var text = (endpoint ?? "").Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new VaultConfigurationException($"store endpoint '{text}' is not host:port");
        var host = text[..colon].Trim('[', ']');
        return (host, port);
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
