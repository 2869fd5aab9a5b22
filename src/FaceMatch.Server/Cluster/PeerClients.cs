using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Client;
using FaceMatch.Matching.Galleries;
using FaceMatch.Server.Cluster.Internal;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Server.Cluster;

/// <summary>
/// One gRPC channel per peer replica for the internal shard service (built like the client library's, so TLS, a
/// private CA and the no-cleartext-off-loopback rule are the same), each call carrying the peer token and a short
/// deadline: a peer that does not answer fails the search quickly rather than holding the Identify session.
/// </summary>
public sealed class PeerClients(ShardingSettings settings, bool tls, bool allowPlaintext) : IDisposable
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (GrpcChannel Channel, GalleryShards.GalleryShardsClient Client)> _peers = new(StringComparer.Ordinal);
    private readonly X509Certificate2Collection? _ca = settings.PeerCaFile is { } ca ? FaceMatchClientOptions.LoadCaCertificates(ca) : null;
    private readonly Metadata _headers = new() { { PeerAuthInterceptor.Header, PeerAuthInterceptor.Scheme + settings.PeerToken } };

    public async Task<ShardCandidates> SearchAsync(ReplicaMember owner, string tenantId, int[] shards, float[] protectedProbe, ShardQuery query)
    {
        var request = new ShardSearchRequest
        {
            TenantId = tenantId, Wanted = query.Wanted, TopK = query.TopK, Storage = (int)query.Storage, ShardCount = settings.GalleryShards,
        };
        request.Shards.AddRange(shards);
        request.ProtectedProbe.AddRange(protectedProbe);
        var response = await ClientFor(owner.Address).SearchAsync(request, _headers, DateTime.UtcNow + CallTimeout).ConfigureAwait(false);
        return new ShardCandidates(response.Candidates.Select(c => new Match(c.TemplateId, c.Score)).ToList(), response.Approximate);
    }

    /// <summary>Closes the channels of replicas no longer in the membership.</summary>
    public void Retain(IEnumerable<ReplicaMember> members)
    {
        var keep = members.Select(m => m.Address).ToHashSet(StringComparer.Ordinal);
        foreach (var address in _peers.Keys.Where(a => !keep.Contains(a)).ToList())
            if (_peers.TryRemove(address, out var gone)) gone.Channel.Dispose();
    }

    private GalleryShards.GalleryShardsClient ClientFor(string address) => _peers.GetOrAdd(address, a =>
    {
        var channel = FaceMatchChannel.Create(new FaceMatchClientOptions
        {
            Address = new Uri($"{(tls ? "https" : "http")}://{a}"),
            CaCertificates = _ca,
            ServerName = tls ? settings.PeerTlsName : null,
            AllowPlaintext = allowPlaintext,
            Retry = new FaceMatchRetryOptions { MaxAttempts = 1 },
        });
        return (channel, new GalleryShards.GalleryShardsClient(channel));
    }).Client;

    public void Dispose()
    {
        foreach (var (channel, _) in _peers.Values) channel.Dispose();
        _peers.Clear();
    }
}
