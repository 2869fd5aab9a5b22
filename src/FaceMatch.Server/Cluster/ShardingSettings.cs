using System.Collections;
using System.Net;
using FaceMatch.Server.Hosting;

namespace FaceMatch.Server.Cluster;

/// <summary>Where the replicas learn who is alive: heartbeat keys in the store, or a Kubernetes headless Service.</summary>
public enum MembershipSource
{
    Store,
    Kubernetes,
}

/// <summary>
/// How a replica takes part in sharded galleries (cluster store only; the embedded store keeps every gallery in the one
/// process). Read by <see cref="Composition.ServeConfiguration"/> under the <c>Cluster:</c> keys.
/// </summary>
public sealed record ShardingSettings
{
    public const string StoreVariable = Composition.StoreConfiguration.StoreVariable;
    public const string ReplicaAddressVariable = "FACEMATCH_REPLICA_ADDRESS";
    public const string MembershipVariable = "FACEMATCH_MEMBERSHIP";
    public const string PeerServiceVariable = "FACEMATCH_PEER_SERVICE";
    public const string GalleryShardsVariable = "FACEMATCH_GALLERY_SHARDS";
    public const string PeerTokenFileVariable = "FACEMATCH_PEER_TOKEN_FILE";
    public const string PeerCaVariable = "FACEMATCH_PEER_CA_FILE";
    public const string PeerTlsNameVariable = "FACEMATCH_PEER_TLS_NAME";
    public const string MemberTtlVariable = "FACEMATCH_MEMBER_TTL_SECONDS";
    public const int DefaultGalleryShards = 16;
    /// <summary>The shortest peer secret accepted: 128 bits of base64 or hex text, at least.</summary>
    public const int MinPeerTokenLength = 24;

    /// <summary>Galleries are sharded (FACEMATCH_STORE=cluster).</summary>
    public bool Enabled { get; init; }
    /// <summary>host:port at which the other replicas reach this one's internal shard service.</summary>
    public string ReplicaAddress { get; init; } = "";
    public MembershipSource Membership { get; init; } = MembershipSource.Store;
    /// <summary>The headless Service's DNS name (Kubernetes membership).</summary>
    public string? PeerService { get; init; }
    /// <summary>Shards per tenant gallery; every replica of a deployment must use the same number.</summary>
    public int GalleryShards { get; init; } = DefaultGalleryShards;
    /// <summary>The secret replicas present to each other's internal service (never the admin token).</summary>
    public string PeerToken { get; init; } = "";
    /// <summary>PEM file of the CA that issued the replicas' TLS certificates, when it is not a system root.</summary>
    public string? PeerCaFile { get; init; }
    /// <summary>
    /// The name every replica's certificate carries (e.g. the headless Service's), checked instead of the address
    /// dialled: replicas reach each other by pod IP, which a shared certificate cannot name. Needs the peer CA.
    /// </summary>
    public string? PeerTlsName { get; init; }
    /// <summary>How long a replica that stopped heartbeating still counts as alive (and owns its shards).</summary>
    public TimeSpan MemberTtl { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How often a replica renews its heartbeat and re-reads the membership.</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromMilliseconds(Math.Max(200, MemberTtl.TotalMilliseconds / 5));

    public static ShardingSettings FromVariables(IDictionary variables, ServerSettings server)
    {
        var store = SettingValue.Text(variables, StoreVariable)?.ToLowerInvariant();
        if (store is not ("cluster")) return new ShardingSettings();
        var membership = SettingValue.Text(variables, MembershipVariable)?.ToLowerInvariant() switch
        {
            null or "store" => MembershipSource.Store,
            "kubernetes" => MembershipSource.Kubernetes,
            var other => throw new ArgumentException($"{MembershipVariable}='{other}' is not store or kubernetes."),
        };
        var peerService = SettingValue.Text(variables, PeerServiceVariable);
        if (membership == MembershipSource.Kubernetes && peerService is null)
            throw new ArgumentException($"{MembershipVariable}=kubernetes needs {PeerServiceVariable} (the headless Service's DNS name).");
        var peerTlsName = SettingValue.Text(variables, PeerTlsNameVariable);
        if (peerTlsName is not null && Uri.CheckHostName(peerTlsName) != UriHostNameType.Dns)
            throw new ArgumentException($"{PeerTlsNameVariable}='{peerTlsName}' is not a DNS name.");
        if (peerTlsName is not null && SettingValue.Text(variables, PeerCaVariable) is null)
            throw new ArgumentException($"{PeerTlsNameVariable} needs {PeerCaVariable}: only the private CA's certificates may answer to that name.");
        return new ShardingSettings
        {
            Enabled = true,
            ReplicaAddress = ReplicaAddressFrom(variables, server),
            Membership = membership,
            PeerService = peerService,
            GalleryShards = SettingValue.Int(variables, GalleryShardsVariable, DefaultGalleryShards, 1, 4096),
            PeerToken = PeerTokenFrom(SettingValue.Text(variables, PeerTokenFileVariable)),
            PeerCaFile = SettingValue.Text(variables, PeerCaVariable) is { } ca
                ? File.Exists(ca) ? ca : throw new ArgumentException($"{PeerCaVariable}={ca}: no such file.")
                : null,
            PeerTlsName = peerTlsName,
            MemberTtl = TimeSpan.FromSeconds(SettingValue.Int(variables, MemberTtlVariable, 5, 2, 300)),
        };
    }

    /// <summary>Given, or the gRPC port on the bind address; an address that names every interface reaches no one.</summary>
    private static string ReplicaAddressFrom(IDictionary variables, ServerSettings server)
    {
        if (SettingValue.Text(variables, ReplicaAddressVariable) is { } given)
        {
            var colon = given.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(given[(colon + 1)..], out var port) || port is < 1 or > 65535 || given[..colon].Length == 0)
                throw new ArgumentException($"{ReplicaAddressVariable}='{given}' is not host:port.");
            return given;
        }
        if (server.Bind.Address is { } bind && (bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any)))
            throw new ArgumentException($"{ReplicaAddressVariable} is required when {ServerSettings.BindVariable}={bind}: the other replicas need an address that reaches this one.");
        var host = server.Bind.Address is { } ip ? (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString()) : "127.0.0.1";
        return $"{host}:{server.Port}";
    }

    private static string PeerTokenFrom(string? path)
    {
        if (path is null) throw new ArgumentException($"{PeerTokenFileVariable} is required with {StoreVariable}=cluster: the replicas' shared secret for their internal shard service.");
        if (!File.Exists(path)) throw new ArgumentException($"{PeerTokenFileVariable}={path}: no such file.");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new ArgumentException($"{PeerTokenFileVariable}={path} is readable by others than its owner (chmod 600 it).");
        var token = File.ReadAllText(path).Trim();
        if (token.Length < MinPeerTokenLength || token.Any(char.IsWhiteSpace))
            throw new ArgumentException($"{PeerTokenFileVariable}={path} must hold one secret of at least {MinPeerTokenLength} characters and no spaces.");
        return token;
    }
}
