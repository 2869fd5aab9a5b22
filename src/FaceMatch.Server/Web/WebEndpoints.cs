using FaceMatch.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace FaceMatch.Server.Web;

/// <summary>
/// What `facematch serve` puts on the HTTP port beside the JSON API: the browser console (static pages embedded in
/// this assembly, no build step, no third-party script), the WebSocket sessions, and response headers that hold a
/// browser to the strictest policy the pages work under (no inline script, nothing from another origin, no framing).
/// </summary>
public static class WebEndpoints
{
    /// <summary>Scripts, styles, images and connections from this origin only; camera frames drawn to canvases and blobs.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<SessionSocketEndpoint>();
    }

    public static void Map(WebApplication app)
    {
        app.Use((http, next) =>
        {
            if (HttpPaths.Serves(http.Request.Path)) AddStrictHeaders(http.Response.Headers);
            return next(http);
        });
        var pages = new ManifestEmbeddedFileProvider(typeof(WebEndpoints).Assembly, "Web/Console");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = pages, RequestPath = HttpPaths.Console });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = pages, RequestPath = HttpPaths.Console });
        app.UseWebSockets();
        RequestDelegate sessions = http => http.RequestServices.GetRequiredService<SessionSocketEndpoint>().HandleAsync(http);
        app.Map(SessionSocketEndpoint.Route, sessions);
    }

    private static void AddStrictHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        // The console needs the camera, from its own origin; nothing else.
        headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()";
        // Tokens are typed into the page and results come back from the API: none of it belongs in a cache.
        headers.CacheControl = "no-store";
    }
}
