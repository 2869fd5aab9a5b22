using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Models;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// HTTP/JSON on the HTTP port for every gRPC method with a <c>google.api.http</c> annotation (Microsoft's JSON
/// transcoding): the request and response in protobuf's JSON mapping, the call run through the same interceptors as
/// a gRPC call (authentication from the <c>Authorization</c> header, readiness, errors), its status mapped to an HTTP
/// code (UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, INVALID_ARGUMENT 400, RESOURCE_EXHAUSTED 429,
/// UNAVAILABLE 503) with a <c>google.rpc.Status</c> body. The document at <see cref="HttpPaths.OpenApi"/> lists the routes.
/// </summary>
internal static class JsonApi
{
    private const string Document = "openapi";

    public static void AddServices(IGrpcServerBuilder grpc)
    {
        grpc.AddJsonTranscoding();
        grpc.Services.AddGrpcSwagger();
        grpc.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(Document, new OpenApiInfo
            {
                Title = "FaceMatch facematch.v1 (HTTP/JSON)",
                Version = "v1",
                Description = "The unary calls of facematch.v1 as HTTP/JSON; sessions are gRPC streams, or WebSockets at /v1/sessions/{kind}.",
            });
            var bearer = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A tenant token for FaceMatch, the admin token for Admin.",
                Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = "bearer" },
            };
            o.AddSecurityDefinition("bearer", bearer);
            o.AddSecurityRequirement(new OpenApiSecurityRequirement { [bearer] = [] });
        });
    }

    public static void Map(WebApplication app) =>
        app.UseSwagger(o => o.RouteTemplate = "{documentName}.json");
}
