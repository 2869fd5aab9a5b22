using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// Gives every gRPC call a deadline no later than the server's maximum call duration, by lowering (or adding)
/// its <c>grpc-timeout</c> header before grpc-dotnet reads it. grpc-dotnet then enforces it as for any deadline:
/// the handler's token is cancelled and the client gets DEADLINE_EXCEEDED, so a session left open by a client
/// cannot hold a stream, its buffers and its model slots for ever.
/// </summary>
internal sealed class CallDurationCap(RequestDelegate next, TimeSpan max)
{
    private const string TimeoutHeader = "grpc-timeout";
    private readonly string _maxHeader = ((long)Math.Ceiling(max.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "S";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            var asked = context.Request.Headers[TimeoutHeader];
            if (asked.Count != 1 || !TryParse(asked[0], out var timeout) || timeout > max)
                context.Request.Headers[TimeoutHeader] = _maxHeader;
        }
        return next(context);
    }

    /// <summary>The gRPC wire format: at most 8 digits and a unit (H, M, S, m, u, n).</summary>
    internal static bool TryParse(string? text, out TimeSpan timeout)
    {
        timeout = default;
        if (text is not { Length: >= 2 and <= 9 }
            || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return false;
        double? seconds = text[^1] switch
        {
            'H' => n * 3600.0,
            'M' => n * 60.0,
            'S' => n,
            'm' => n / 1e3,
            'u' => n / 1e6,
            'n' => n / 1e9,
            _ => null,
        };
        if (seconds is not { } s) return false;
        timeout = TimeSpan.FromSeconds(s);
        return true;
    }
}
