using FaceMatch.Matching.Galleries;
using FaceMatch.Server.Admission;
using FaceMatch.Vault;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Pipeline;

/// <summary>
/// Turns what the libraries throw into the contract's statuses, once for every RPC: a bad image is
/// INVALID_ARGUMENT with the decoder's reason, so is a value the vault refuses (a tenant name, a policy), a full
/// model queue RESOURCE_EXHAUSTED with a retry hint (<see cref="Overload"/>), a full gallery RESOURCE_EXHAUSTED, and anything unexpected INTERNAL
/// with a fixed message (its type and stack go to the log for the operator; nothing of it to the client).
/// </summary>
public sealed partial class ExceptionMappingInterceptor(ILogger<ExceptionMappingInterceptor> logger) : CallInterceptor
{
    public const string InternalMessage = "internal error";

    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception e, ServerCallContext context) =>
        e is BatcherFullException
            ? Overload.Refuse(Overload.Reason.ModelQueue, "server over capacity; retry later")
            : MapStatus(e, context) is { } status ? new RpcException(status) : null;

    private Status? MapStatus(Exception e, ServerCallContext context)
    {
        switch (e)
        {
            case RpcException:
                return null;
            case ImageDecodeException decode:
                return new Status(StatusCode.InvalidArgument, $"image not decodable: {decode.Message}");
            case VaultArgumentException vault:
                return new Status(StatusCode.InvalidArgument, vault.Message);
            case GalleryLimitException gallery:
                return new Status(StatusCode.ResourceExhausted, gallery.Message);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                // The client went away or the deadline passed; grpc-dotnet has already chosen the status.
                return null;
            default:
                LogUnexpected(logger, context.Method, e.GetType().FullName ?? "exception", e);
                return new Status(StatusCode.Internal, InternalMessage);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method}: unexpected {ExceptionType}")]
    private static partial void LogUnexpected(ILogger logger, string method, string exceptionType, Exception exception);
}
