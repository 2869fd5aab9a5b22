using FaceMatch.Server.Cluster.Internal;
using FaceMatch.Vault.Tenants;
using Grpc.Core;

namespace FaceMatch.Server.Cluster;

/// <summary>facematch.internal.v1.GalleryShards: this replica's best rows of some shards it holds, for a peer's Identify.</summary>
public sealed class ShardSearchService(ShardedGalleries galleries, ShardingSettings settings) : GalleryShards.GalleryShardsBase
{
    public const int MaxWanted = 10_000;

    public override async Task<ShardSearchResponse> Search(ShardSearchRequest request, ServerCallContext context)
    {
        if (request.ShardCount != settings.GalleryShards)
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"this replica splits galleries into {settings.GalleryShards} shards, the caller into {request.ShardCount}: every replica needs the same {ShardingSettings.GalleryShardsVariable}"));
        if (request.ProtectedProbe.Count != galleries.Dimension)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the probe has {request.ProtectedProbe.Count} values, this replica's galleries {galleries.Dimension}"));
        if (request.TenantId.Length == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "tenant_id is required"));
        if (request.Wanted is < 1 or > MaxWanted) throw new RpcException(new Status(StatusCode.InvalidArgument, $"wanted must be 1..{MaxWanted}"));
        if (request.TopK is < 0 or > MaxWanted / 4) throw new RpcException(new Status(StatusCode.InvalidArgument, $"top_k must be 0..{MaxWanted / 4}"));
        if (!Enum.IsDefined((GalleryStorage)request.Storage)) throw new RpcException(new Status(StatusCode.InvalidArgument, "storage must be 0, 1 (float32) or 2 (int8)"));
        if (request.Shards.Count == 0 || request.Shards.Any(s => s < 0 || s >= settings.GalleryShards) || request.Shards.Distinct().Count() != request.Shards.Count)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"shards must be distinct, within 0..{settings.GalleryShards - 1}"));
        var probe = new float[request.ProtectedProbe.Count];
        request.ProtectedProbe.CopyTo(probe, 0);
        if (probe.Any(v => !float.IsFinite(v))) throw new RpcException(new Status(StatusCode.InvalidArgument, "the probe has a value that is not finite"));
        ShardCandidates found;
        try { found = await galleries.CandidatesOfAsync(request.TenantId, request.Shards, probe, new ShardQuery(request.Wanted, request.TopK, (GalleryStorage)request.Storage)); }
        catch (ShardUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"{e.Message} (loading or reassigned)"));
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "this replica is still loading the shards asked for"));
        }
        var response = new ShardSearchResponse { Approximate = found.Approximate };
        response.Candidates.AddRange(found.Candidates.Select(m => new ShardCandidate { TemplateId = m.Id, Score = m.Score }));
        return response;
    }
}
