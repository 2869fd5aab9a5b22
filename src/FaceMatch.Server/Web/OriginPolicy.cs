using FaceMatch.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace FaceMatch.Server.Web;

/// <summary>
/// Which pages may open a WebSocket session: the server's own (same origin), and the origins the operator lists
/// (<see cref="ServerSettings.AllowedOrigins"/>). A request without an Origin header is not from a browser page (a
/// browser always sends one on a WebSocket handshake), so no page can have been made to send it; it is let through to
/// the token check like any other client.
/// </summary>
public sealed class OriginPolicy(ServerSettings settings)
{
    public bool Allows(HttpRequest request)
    {
        var origins = request.Headers.Origin;
        if (origins.Count == 0) return true;
        if (origins.Count > 1 || Normalise(origins[0]) is not { } origin) return false;
        return origin == Normalise($"{request.Scheme}://{request.Host}") || settings.AllowedOrigins.Contains(origin, StringComparer.Ordinal);
    }

    /// <summary><c>scheme://host[:port]</c>, lower-case, default port left out; null for "null" and anything unparsable.</summary>
    private static string? Normalise(string? origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : null;
}
