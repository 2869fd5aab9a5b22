using Microsoft.AspNetCore.Http;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// What the HTTP port serves, and only it: the browser console, the API under <c>/v1/</c> (WebSocket sessions and the
/// JSON transcoding of the unary calls) and its OpenAPI document. The gRPC port answers none of these paths, so the
/// JSON API is not reachable where only gRPC is expected.
/// </summary>
public static class HttpPaths
{
    public const string Console = "/console";
    public const string Api = "/v1";
    public const string OpenApi = "/openapi.json";

    public static bool Serves(PathString path) =>
        path.StartsWithSegments(Console) || path.StartsWithSegments(Api) || path.Equals(OpenApi);
}
