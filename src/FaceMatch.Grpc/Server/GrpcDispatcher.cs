using System.Collections.Frozen;
using FaceMatch.Grpc.Server.Handlers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Grpc.Server;

/// <summary>
/// The request delegate that serves gRPC: checks the request is a gRPC call (HTTP/2, POST, application/grpc),
/// routes on :path to the method's handler, and answers UNIMPLEMENTED for anything not bound.
/// </summary>
public sealed class GrpcDispatcher
{
    private readonly FrozenDictionary<string, ServerCallHandler> _handlers;

    public GrpcDispatcher(GrpcServiceRegistry registry, GrpcServerOptions options, ILoggerFactory loggerFactory)
    {
        options.Validate();
        var logger = loggerFactory.CreateLogger("FaceMatch.Grpc.Server");
        _handlers = registry.Services
            .SelectMany(s => s.Methods)
            .ToFrozenDictionary(m => m.Path, m => m.CreateHandler(options, logger), StringComparer.Ordinal);
    }

    public IEnumerable<string> Paths => _handlers.Keys;

    public Task DispatchAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
            return RefuseAsync(http, StatusCodes.Status405MethodNotAllowed, $"gRPC calls use POST, not {request.Method}.");
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
            return RefuseAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{request.ContentType}' is not supported; gRPC needs application/grpc.");
        if (!HttpProtocol.IsHttp2(request.Protocol))
            return RefuseAsync(http, StatusCodes.Status426UpgradeRequired, $"gRPC needs HTTP/2; the request used {request.Protocol}.");

        // Streams are long-lived and large: the per-request body limits of plain HTTP do not apply; the
        // per-message limit does (GrpcServerOptions.MaxReceiveMessageSize).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = null;
        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } dataRate)
            dataRate.MinDataRate = null;

        if (_handlers.TryGetValue(request.Path.Value ?? "", out var handler))
            return handler.HandleCallAsync(http);
        return UnimplementedAsync(http);
    }

    private static Task UnimplementedAsync(HttpContext http)
    {
        var response = http.Response;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Unimplemented).ToString();
        response.Headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode($"Method {http.Request.Path.Value} is unimplemented.");
        return Task.CompletedTask;
    }

    private static Task RefuseAsync(HttpContext http, int httpStatus, string reason)
    {
        var response = http.Response;
        response.StatusCode = httpStatus;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Internal).ToString();
        response.Headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode(reason);
        if (httpStatus == StatusCodes.Status405MethodNotAllowed) response.Headers.Allow = "POST";
        return Task.CompletedTask;
    }
}
