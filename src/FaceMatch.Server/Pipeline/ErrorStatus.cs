using FaceMatch.Matching.Galleries;
using FaceMatch.Server.Admission;
using FaceMatch.Vault;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using Grpc.Core;

namespace FaceMatch.Server.Pipeline;

/// <summary>
/// What the libraries throw, as the contract's statuses: one table for every transport (the gRPC interceptor, the
/// WebSocket sessions). A bad image is INVALID_ARGUMENT with the decoder's reason, so is a value the vault refuses
/// (a tenant name, a policy), a full model queue RESOURCE_EXHAUSTED with a retry hint (<see cref="Overload"/>), a
/// full gallery RESOURCE_EXHAUSTED, a store cluster that cannot take or confirm a write UNAVAILABLE, and anything unexpected INTERNAL with a fixed message.
/// </summary>
public static class ErrorStatus
{
    public const string InternalMessage = "internal error";

    /// <param name="callCancelled">the caller went away or its deadline passed.</param>
    /// <returns>
    /// the exception to end the call with, or null to leave <paramref name="e"/> as it is: an RpcException already
    /// carries its status, and a cancellation the caller caused has one chosen by the transport. INTERNAL means the
    /// exception was unexpected: the caller logs it for the operator, and sends nothing of it to the client.
    /// </returns>
    public static RpcException? Map(Exception e, bool callCancelled) => e switch
    {
        RpcException => null,
        BatcherFullException => Overload.Refuse(Overload.Reason.ModelQueue, "server over capacity; retry later"),
        ImageDecodeException decode => new RpcException(new Status(StatusCode.InvalidArgument, $"image not decodable: {decode.Message}")),
        VaultArgumentException vault => new RpcException(new Status(StatusCode.InvalidArgument, vault.Message)),
        GalleryLimitException gallery => new RpcException(new Status(StatusCode.ResourceExhausted, gallery.Message)),
        // The store cluster is failing over or a replica did not confirm: not acknowledged, safe to retry.
        VaultUnavailableException => new RpcException(new Status(StatusCode.Unavailable, "the store is unavailable; retry")),
        OperationCanceledException when callCancelled => null,
        _ => new RpcException(new Status(StatusCode.Internal, InternalMessage)),
    };
}
