using System.Collections;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Sessions;
using FaceMatch.Vision;
using Microsoft.Extensions.Configuration;

namespace FaceMatch.Server.Composition;

/// <summary>
/// The settings of `facematch serve`: the contract's environment variables (ports, data directory, admin token,
/// TLS) from the environment only, and every other setting from an appsettings file (<c>FACEMATCH_CONFIG</c>, else
/// <c>./appsettings.json</c> when there is one) with the environment overriding it. Each file key has one variable
/// (<see cref="Keys"/>), so one parser per setting reads both, and a bad value fails the start with an
/// <see cref="ArgumentException"/> that names the variable, and the file and key when the value came from the file.
/// An unknown key in the file is an error too: a typo must not silently leave a limit at its default.
/// </summary>
public static class ServeConfiguration
{
    public const string ConfigVariable = "FACEMATCH_CONFIG";
    public const string DefaultFileName = "appsettings.json";

    /// <summary>appsettings key → the environment variable that overrides it.</summary>
    public static IReadOnlyDictionary<string, string> Keys { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Server:Bind"] = ServerSettings.BindVariable,
        ["Server:AllowPlaintext"] = ServerSettings.AllowPlaintextVariable,
        ["Server:MaxConnections"] = ServerSettings.MaxConnectionsVariable,
        ["Server:MaxCallSeconds"] = ServerSettings.MaxCallVariable,
        ["Http:AllowedOrigins"] = ServerSettings.AllowedOriginsVariable,
        ["Grpc:MaxReceiveBytes"] = ServerSettings.MaxReceiveVariable,
        ["Grpc:MaxSendBytes"] = ServerSettings.MaxSendVariable,
        ["Grpc:MaxConcurrentStreams"] = ServerSettings.MaxStreamsVariable,
        ["Grpc:Compression"] = ServerSettings.CompressionVariable,
        ["Grpc:ShutdownSeconds"] = ServerSettings.ShutdownVariable,
        ["Sessions:MaxFrames"] = SessionOptions.MaxFramesVariable,
        ["Sessions:MaxFrameBytes"] = SessionOptions.MaxFrameBytesVariable,
        ["Sessions:MaxSessionBytes"] = SessionOptions.MaxSessionBytesVariable,
        ["Sessions:MaxSeconds"] = SessionOptions.MaxSecondsVariable,
        ["Sessions:GoodFramesToFinish"] = SessionOptions.GoodFramesVariable,
        ["Sessions:MinGoodFrames"] = SessionOptions.MinGoodFramesVariable,
        ["Sessions:MinQuality"] = SessionOptions.MinQualityVariable,
        ["Sessions:MinFramesForLiveness"] = SessionOptions.LivenessFramesVariable,
        ["Admission:MaxSessions"] = AdmissionOptions.MaxSessionsVariable,
        ["Admission:MaxSessionsPerTenant"] = AdmissionOptions.MaxTenantSessionsVariable,
        ["Admission:MaxConcurrentFrames"] = AdmissionOptions.MaxConcurrentFramesVariable,
        ["Admission:MaxQueuedFrames"] = AdmissionOptions.MaxQueuedFramesVariable,
        ["Admission:CongestedQueuedFrames"] = AdmissionOptions.CongestedFramesVariable,
        ["Decoding:BudgetPixels"] = DecodeBudgetVariable,
        ["Decoding:MaxFramePixels"] = MaxFramePixelsVariable,
        ["Retention:SweepMinutes"] = SweepMinutesVariable,
        ["Vision:MatchThreshold"] = "FACEMATCH_MATCH_THRESHOLD",
        ["Vision:MinDetectionScore"] = "FACEMATCH_MIN_DETECTION_SCORE",
        ["Vision:IntraOpThreads"] = "FACEMATCH_INTRA_OP_THREADS",
        ["Vision:MaxBatch"] = "FACEMATCH_MAX_BATCH",
        ["Vision:BatchWaitMicroseconds"] = "FACEMATCH_BATCH_WAIT_US",
        ["Matching:GalleryStorage"] = Services.GalleryDefaults.StorageVariable,
        ["Matching:IndexThreshold"] = Services.GalleryDefaults.IndexThresholdVariable,
        ["Cluster:Store"] = StoreConfiguration.StoreVariable,
        ["Cluster:Endpoints"] = StoreConfiguration.EndpointsVariable,
        ["Cluster:PasswordFile"] = StoreConfiguration.PasswordFileVariable,
        ["Cluster:AllowPlaintext"] = StoreConfiguration.AllowPlaintextVariable,
        ["Cluster:Tls"] = StoreConfiguration.TlsVariable,
        ["Cluster:CaCert"] = StoreConfiguration.CaCertVariable,
        ["Cluster:TlsName"] = StoreConfiguration.TlsNameVariable,
        ["Cluster:ReplicaAcks"] = StoreConfiguration.ReplicaAcksVariable,
        ["Cluster:ReplicaAckTimeoutMs"] = StoreConfiguration.ReplicaAckTimeoutVariable,
        ["Cluster:ReplicaAddress"] = Cluster.ShardingSettings.ReplicaAddressVariable,
        ["Cluster:Membership"] = Cluster.ShardingSettings.MembershipVariable,
        ["Cluster:PeerService"] = Cluster.ShardingSettings.PeerServiceVariable,
        ["Cluster:GalleryShards"] = Cluster.ShardingSettings.GalleryShardsVariable,
        ["Cluster:PeerTokenFile"] = Cluster.ShardingSettings.PeerTokenFileVariable,
        ["Cluster:PeerCaFile"] = Cluster.ShardingSettings.PeerCaVariable,
        ["Cluster:PeerTlsName"] = Cluster.ShardingSettings.PeerTlsNameVariable,
        ["Cluster:MemberTtlSeconds"] = Cluster.ShardingSettings.MemberTtlVariable,
    };

    public const string DataVariable = "FACEMATCH_DATA";
    public const string ModelsVariable = "FACEMATCH_MODELS";

    /// <summary>
    /// The variables read from the environment only (the contract's: ports, data directory, admin token, master key,
    /// TLS, models, device; and the appsettings file's own path): no file key overrides them.
    /// </summary>
    public static IReadOnlyList<string> EnvironmentOnlyVariables { get; } =
    [
        ServerSettings.PortVariable,
        ServerSettings.MetricsPortVariable,
        ServerSettings.HttpPortVariable,
        ServerSettings.TlsCertVariable,
        ServerSettings.TlsKeyVariable,
        DataVariable,
        ModelsVariable,
        Security.AdminToken.Variable,
        FaceMatch.Vault.Crypto.MasterKeySource.EnvironmentVariable,
        FaceMatch.Models.Runtime.ExecutionDevice.Variable,
        ConfigVariable,
    ];

    /// <summary>
    /// Every variable `facematch serve` reads: the file keys' variables and the environment-only ones. Deployment
    /// manifests are checked against it, so a misspelt name fails a test instead of being silently ignored.
    /// </summary>
    public static IReadOnlySet<string> AllVariables { get; } =
        new SortedSet<string>(Keys.Values.Concat(EnvironmentOnlyVariables), StringComparer.Ordinal);

    public const string DecodeBudgetVariable = "FACEMATCH_DECODE_BUDGET_PIXELS";
    public const string MaxFramePixelsVariable = "FACEMATCH_MAX_FRAME_PIXELS";
    public const string SweepMinutesVariable = "FACEMATCH_RETENTION_SWEEP_MINUTES";

    /// <summary>The host's settings from <paramref name="environment"/> and the appsettings file it points to.</summary>
    /// <param name="workingDirectory">where <c>./appsettings.json</c> is looked for.</param>
    /// <exception cref="ArgumentException">a bad value, an unknown key, or a file that is missing or no JSON.</exception>
    public static HostSettings Load(IDictionary environment, string dataDirectory, string manifestPath, string workingDirectory)
    {
        var (values, origins) = Merge(environment, workingDirectory);
        try
        {
            var sessions = SessionOptions.FromVariables(values);
            var server = ServerSettings.FromVariables(values);
            return new HostSettings
            {
                Server = server,
                DataDirectory = dataDirectory,
                ManifestPath = manifestPath,
                AdminTokenFromEnvironment = environment[Security.AdminToken.Variable] as string,
                Vision = VisionOptions.FromVariables(values),
                Sessions = sessions,
                Admission = AdmissionOptions.FromVariables(values),
                Galleries = Services.GalleryDefaults.FromVariables(values),
                DecodeBudgetPixels = SettingValue.Long(values, DecodeBudgetVariable, 64_000_000, 1_000_000, 10_000_000_000),
                MaxFramePixels = SettingValue.Long(values, MaxFramePixelsVariable, 16_000_000, 10_000, 100_000_000),
                RetentionSweepInterval = TimeSpan.FromMinutes(SettingValue.Long(values, SweepMinutesVariable, 60, 1, 7 * 24 * 60)),
                Cluster = StoreConfiguration.FromVariables(values),
                Sharding = Cluster.ShardingSettings.FromVariables(values, server),
            };
        }
        catch (ArgumentException e) when (origins.FirstOrDefault(o => e.Message.StartsWith(o.Key, StringComparison.Ordinal)) is { Key: not null } origin)
        {
            throw new ArgumentException($"{origin.Value}: {e.Message}", e);
        }
    }

    /// <summary>The environment with the file's values under their variables' names, where the environment has none.</summary>
    private static (Hashtable Values, Dictionary<string, string> Origins) Merge(IDictionary environment, string workingDirectory)
    {
        var values = new Hashtable();
        foreach (DictionaryEntry entry in environment) values[entry.Key] = entry.Value;
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);

        var explicitPath = environment[ConfigVariable] as string;
        var path = string.IsNullOrWhiteSpace(explicitPath) ? Path.Combine(workingDirectory, DefaultFileName) : Path.GetFullPath(explicitPath, workingDirectory);
        if (!File.Exists(path))
        {
            if (!string.IsNullOrWhiteSpace(explicitPath)) throw new ArgumentException($"{ConfigVariable}={explicitPath}: no such file.");
            return (values, origins);
        }

        IConfigurationRoot file;
        try { file = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build(); }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ArgumentException($"{path} is not a valid appsettings file: {e.InnerException?.Message ?? e.Message}", e);
        }
        foreach (var (key, value) in file.AsEnumerable().Where(kv => kv.Value is not null))
        {
            if (!Keys.TryGetValue(key, out var variable))
                throw new ArgumentException($"{path}: '{key}' is not a setting (known: {string.Join(", ", Keys.Keys.Order())}; " +
                    "ports, the data directory, the admin token and TLS are environment variables only).");
            if (values[variable] is string { Length: > 0 }) continue;   // the environment wins
            values[variable] = value;
            origins[variable] = $"{key} in {path}";
        }
        return (values, origins);
    }
}
