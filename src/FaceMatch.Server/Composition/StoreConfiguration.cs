using System.Collections;
using FaceMatch.Server.Hosting;
using FaceMatch.Vault;
using FaceMatch.Vault.Storage.Cluster;

namespace FaceMatch.Server.Composition;

/// <summary>
/// Which store the vault keeps its records in: the embedded FASTER store under the data directory (the default),
/// or a Redis-protocol store cluster several `facematch serve` replicas share (<c>FACEMATCH_STORE=cluster</c>).
/// </summary>
public static class StoreConfiguration
{
    public const string StoreVariable = "FACEMATCH_STORE";
    public const string EndpointsVariable = "FACEMATCH_CLUSTER_ENDPOINTS";
    public const string PasswordFileVariable = "FACEMATCH_CLUSTER_PASSWORD_FILE";
    public const string AllowPlaintextVariable = "FACEMATCH_CLUSTER_ALLOW_PLAINTEXT";
    public const string TlsVariable = "FACEMATCH_CLUSTER_TLS";
    public const string CaCertVariable = "FACEMATCH_CLUSTER_CA_CERT";
    public const string TlsNameVariable = "FACEMATCH_CLUSTER_TLS_NAME";
    public const string ReplicaAcksVariable = "FACEMATCH_CLUSTER_REPLICA_ACKS";
    public const string ReplicaAckTimeoutVariable = "FACEMATCH_CLUSTER_REPLICA_ACK_TIMEOUT_MS";

    /// <summary>The cluster settings, or null for the embedded store.</summary>
    /// <exception cref="ArgumentException">a bad value, named by its variable.</exception>
    public static ClusterStoreSettings? FromVariables(IDictionary variables)
    {
        switch (SettingValue.Text(variables, StoreVariable)?.ToLowerInvariant())
        {
            case null or "embedded":
                foreach (var name in new[] { EndpointsVariable, PasswordFileVariable })
                    if (SettingValue.Text(variables, name) is not null)
                        throw new ArgumentException($"{name} is set but {StoreVariable} is not 'cluster': set {StoreVariable}=cluster to use the store cluster.");
                return null;
            case "cluster":
                break;
            case var other:
                throw new ArgumentException($"{StoreVariable}='{other}' is not embedded or cluster.");
        }
        var endpoints = SettingValue.Text(variables, EndpointsVariable)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            ?? throw new ArgumentException($"{EndpointsVariable} is required with {StoreVariable}=cluster (host:port,host:port,...).");
        string? password = null;
        if (SettingValue.Text(variables, PasswordFileVariable) is { } passwordFile)
        {
            try { password = ClusterStoreSettings.ReadPasswordFile(passwordFile); }
            catch (VaultConfigurationException e) { throw new ArgumentException($"{PasswordFileVariable}: {e.Message}", e); }
        }
        var settings = new ClusterStoreSettings
        {
            Endpoints = endpoints,
            Password = password,
            UseTls = SettingValue.Bool(variables, TlsVariable),
            CaCertificateFile = SettingValue.Text(variables, CaCertVariable),
            TlsName = SettingValue.Text(variables, TlsNameVariable),
            AllowPlaintext = SettingValue.Bool(variables, AllowPlaintextVariable),
            ReplicaAcks = SettingValue.Int(variables, ReplicaAcksVariable, 1, 0, 16),
            ReplicaAckTimeout = TimeSpan.FromMilliseconds(SettingValue.Long(variables, ReplicaAckTimeoutVariable, 2000, 10, 60_000)),
        };
        try { settings.Validate(); }
        catch (VaultConfigurationException e)
        {
            var message = e.Message.Contains("TLS name", StringComparison.Ordinal)
                    ? $"{TlsNameVariable}: {e.Message} (it needs {TlsVariable}=true and {CaCertVariable})"
                : e.Message.Contains("CA certificate", StringComparison.Ordinal) ? $"{CaCertVariable}: {e.Message}"
                : e.Message.Contains("loopback", StringComparison.Ordinal) ? $"{EndpointsVariable}: {e.Message} ({TlsVariable}=true, or {AllowPlaintextVariable}=true)"
                : $"{EndpointsVariable}: {e.Message}";
            throw new ArgumentException(message, e);
        }
        return settings;
    }
}
