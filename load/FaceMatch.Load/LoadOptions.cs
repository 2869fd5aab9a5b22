using System.Net;
using System.Text;

namespace FaceMatch.Load;

/// <summary>Which call a load run repeats.</summary>
public enum LoadCall
{
    /// <summary>grpc.health.v1.Health/Check: every FaceMatch server answers it, no token needed.</summary>
    Health,
    /// <summary>facematch.v1.FaceMatch/Compare of two photos, with a tenant token: the whole vision pipeline per call.</summary>
    Compare,
}

/// <summary>What one load run does; every run is bounded by a request count and a duration.</summary>
public sealed record LoadOptions
{
    public required Uri Target { get; init; }
    public LoadCall Call { get; init; } = LoadCall.Health;
    public int Concurrency { get; init; } = 16;
    public int Requests { get; init; } = 10_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Off by default: a load run aims at a server on this machine unless the operator says otherwise.</summary>
    public bool AllowRemote { get; init; }
    /// <summary>The tenant token Compare needs.</summary>
    public string? Token { get; init; }
    /// <summary>PEM file of the private CA that issued an https target's certificate (trusted instead of the system's roots).</summary>
    public string? CaCertificatePath { get; init; }
    /// <summary>The two encoded photos Compare sends.</summary>
    public (byte[] A, byte[] B)? CompareImages { get; init; }

    public void Validate()
    {
        if (Concurrency is < 1 or > 4096) throw new ArgumentException("--concurrency must be 1..4096");
        if (Requests is < 1 or > 10_000_000) throw new ArgumentException("--requests must be 1..10000000");
        if (Duration <= TimeSpan.Zero || Duration > TimeSpan.FromHours(1)) throw new ArgumentException("--duration must be more than 0 s and at most 1 h");
        if (Target.Scheme is not ("http" or "https")) throw new ArgumentException("--target must be http://host:port (h2c) or https://host:port");
        if (!AllowRemote && !IsLoopback(Target.Host))
            throw new ArgumentException($"--target {Target.Host} is not a loopback address; pass --allow-remote to load another machine");
        if (Call == LoadCall.Compare && CompareImages is null) throw new ArgumentException("--call compare needs --image-a and --image-b");
        if (Call == LoadCall.Compare && string.IsNullOrEmpty(Token)) throw new ArgumentException("--call compare needs a tenant token (FACEMATCH_TOKEN or --token)");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    // A record prints every property; the token is not one to print, nor are the photos.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Target = {Target}, Call = {Call}, Concurrency = {Concurrency}, Requests = {Requests}, Duration = {Duration}, ")
            .Append($"CallTimeout = {CallTimeout}, AllowRemote = {AllowRemote}, CaCertificatePath = {CaCertificatePath}, Token = {(Token is null ? "none" : "set")}");
        return true;
    }
}
