using FaceMatch.Models.Manifest;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Security;
using FaceMatch.Server.Services;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Web;
using FaceMatch.Vault;
using FaceMatch.Vault.Retention;
using FaceMatch.Vision;
using FaceMatch.Vision.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Composition;

/// <summary>What the composition root needs to know; <see cref="ServeConfiguration.Load"/> reads it for `facematch serve`.</summary>
public sealed record HostSettings
{
    public required ServerSettings Server { get; init; }
    public required string DataDirectory { get; init; }
    public required string ManifestPath { get; init; }
    public string? AdminTokenFromEnvironment { get; init; }
    public VisionOptions Vision { get; init; } = VisionOptions.FromEnvironment();
    public SessionOptions Sessions { get; init; } = new();
    public AdmissionOptions Admission { get; init; } = new();
    public GalleryDefaults Galleries { get; init; } = new();
    /// <summary>Pixels being decoded and analysed at once, server-wide (≈ 3 bytes each in memory).</summary>
    public long DecodeBudgetPixels { get; init; } = 64_000_000;
    /// <summary>Largest frame in pixels: a phone camera's frames, well under the decoder's 40 MP default.</summary>
    public long MaxFramePixels { get; init; } = 16_000_000;
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromHours(1);
    /// <summary>The store cluster the vault keeps its records in; null: the embedded store under the data directory.</summary>
    public FaceMatch.Vault.Storage.Cluster.ClusterStoreSettings? Cluster { get; init; }
}

/// <summary>
/// The composition root of `facematch serve`: opens the vault (recovering it) before anything listens, starts the
/// endpoints with health NOT_SERVING, loads the models and the galleries, starts the retention sweeper, then turns
/// SERVING. Disposal undoes it in order: endpoints first (NOT_SERVING and new sessions refused while they still
/// listen, running ones get the grace period and are then cancelled, then the connections close), then the sweeper,
/// the models, the galleries, and last the vault, whose commit ends the process. Nothing is disposed under a
/// running session: the stop waits for the sessions to end first.
/// </summary>
public sealed partial class FaceMatchHost : IAsyncDisposable
{
    private readonly FaceMatchVault _vault;
    private readonly FaceMatchServer _server;
    private readonly ResourceSlots _slots;
    private RetentionSweeper? _sweeper;
    private IDisposable? _gallerySubscription;

    private readonly HostSettings _settings;
    private readonly ImageDecodeOptions _frameDecode;

    private FaceMatchHost(HostSettings settings, ImageDecodeOptions frameDecode, FaceMatchVault vault, FaceMatchServer server, ResourceSlots slots, AdminToken adminToken)
    {
        _settings = settings;
        _frameDecode = frameDecode;
        _vault = vault;
        _server = server;
        _slots = slots;
        AdminToken = adminToken;
    }

    public FaceMatchServer Server => _server;
    public AdminToken AdminToken { get; }
    public FaceAnalyzer? Analyzer => _slots.Analyzer;
    public TenantGalleryRegistry? Galleries => _slots.Galleries;
    /// <summary>The retention sweeper, once <see cref="LoadAsync"/> started it (its <see cref="RetentionSweeper.Swept"/> reports each sweep).</summary>
    public RetentionSweeper? Sweeper => _sweeper;
    public int TemplatesLoaded { get; private set; }

    /// <summary>Opens the vault and starts the endpoints (NOT_SERVING); <see cref="LoadAsync"/> makes it ready.</summary>
    public static async Task<FaceMatchHost> StartAsync(HostSettings settings, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        settings.Sessions.Validate();
        settings.Admission.Validate();
        // FaceMatchServer.Create checks this too; here it refuses before the vault is opened and recovered.
        settings.Server.EnsureTransportIsSafe();
        AdminToken.EnsurePrivateDirectory(settings.DataDirectory);
        var adminToken = AdminToken.Load(settings.DataDirectory, settings.AdminTokenFromEnvironment);
        var vault = await FaceMatchVault.OpenAsync(new VaultOptions { DataDirectory = settings.DataDirectory, Clock = settings.Clock, Cluster = settings.Cluster }).ConfigureAwait(false);
        try
        {
            var slots = new ResourceSlots();
            var decode = settings.Vision.Decode with { MaxPixels = Math.Min(settings.Vision.Decode.MaxPixels, settings.MaxFramePixels), MaxEncodedBytes = settings.Sessions.MaxFrameBytes };
            var admission = new FrameAdmission(new ImageDecoder(decode), new DecodeTarget(MinLongSide: settings.Vision.DecodeMinLongSide), new DecodeBudget(settings.DecodeBudgetPixels));
            var server = FaceMatchServer.Create(settings.Server, c => c
                .ConfigureServices(s =>
                {
                    s.AddSingleton(vault);
                    s.AddSingleton(adminToken);
                    s.AddSingleton<BearerTokens>();
                    s.AddSingleton(settings.Server);
                    s.AddSingleton(admission);
                    s.AddSingleton(settings.Admission);
                    s.AddSingleton<AnalysisGate>();
                    s.AddSingleton<SessionAdmission>();
                    s.AddSingleton(settings.Sessions);
                    s.AddSingleton(settings.Clock);
                    // Ready before any facematch.v1 call is let through (ReadinessInterceptor).
                    s.AddSingleton(_ => slots.Analyzer ?? throw new InvalidOperationException("models not loaded"));
                    s.AddSingleton(_ => slots.Galleries ?? throw new InvalidOperationException("galleries not loaded"));
                    s.AddSingleton<SessionRunner>();
                    WebEndpoints.AddServices(s);
                })
                .MapHttp(WebEndpoints.Map)
                .AddInterceptor<ReadinessInterceptor>()
                .AddInterceptor<BearerAuthInterceptor>()
                .MapService<FaceMatchService>()
                .MapService<AdminService>(), logging);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            return new FaceMatchHost(settings, decode, vault, server, slots, adminToken);
        }
        catch
        {
            await vault.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Loads the models and every tenant's gallery, starts the sweeper, and turns health SERVING.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var manifest = ModelManifest.Load(_settings.ManifestPath);
        var analyzer = await FaceAnalyzer.CreateAsync(manifest, _settings.Vision with { Decode = _frameDecode }, cancellationToken).ConfigureAwait(false);
        _slots.Analyzer = analyzer;
        // The embedder's dimension, from one run on a blank crop (which also warms the session up).
        using (var blank = RgbImage.Allocate(analyzer.Embedder.Template.Width, analyzer.Embedder.Template.Height))
            _slots.Galleries = new TenantGalleryRegistry((await analyzer.Embedder.EmbedCropAsync(blank, cancellationToken).ConfigureAwait(false)).Length,
                _settings.Galleries);
        (TemplatesLoaded, _gallerySubscription) = _slots.Galleries.LoadFrom(_vault);
        Observability.ServerMetrics.TrackGalleries(_slots.Galleries.MemoryByTenant);
        _sweeper = new RetentionSweeper(_vault, _settings.RetentionSweepInterval);
        var log = _server.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RetentionSweeper>();
        _sweeper.Swept += (report, error) =>
        {
            if (error is not null) LogSweepFailed(log, error);
            else if (report is { Total: > 0 }) LogSwept(log, report.Templates, report.DevCaptures, report.UsageRecords, report.DeviceKeys, report.Orphans);
        };
        _sweeper.Start();
        _server.MarkServing();
    }

    public async ValueTask DisposeAsync()
    {
        // The server's own stop is bounded by the grace period plus the status allowance; this is the backstop.
        using (var stop = new CancellationTokenSource(_settings.Server.ShutdownTimeout + CallDrain.StatusAllowance + TimeSpan.FromSeconds(5)))
        {
            try { await _server.StopAsync(stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_sweeper is not null) await _sweeper.DisposeAsync().ConfigureAwait(false);
        if (_slots.Analyzer is not null) await _slots.Analyzer.DisposeAsync().ConfigureAwait(false);
        _gallerySubscription?.Dispose();
        Observability.ServerMetrics.TrackGalleries(null);
        _slots.Galleries?.Dispose();
        await _vault.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "retention sweep removed {Templates} templates, {DevCaptures} development captures, {UsageRecords} usage records, {DeviceKeys} device keys, {Orphans} orphaned records")]
    private static partial void LogSwept(ILogger logger, int templates, int devCaptures, int usageRecords, int deviceKeys, int orphans);

    [LoggerMessage(Level = LogLevel.Error, Message = "retention sweep failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception error);

    /// <summary>What is loaded after the endpoints are up; read by the DI factories once the server is ready.</summary>
    private sealed class ResourceSlots
    {
        public volatile FaceAnalyzer? Analyzer;
        public volatile TenantGalleryRegistry? Galleries;
    }
}
