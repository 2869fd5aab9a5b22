using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Server.Tests.Web;

/// <summary>
/// One `facematch serve` with the HTTP port on (the console, WebSocket sessions, the JSON API), shared by every class
/// of the <see cref="HttpServiceCollection"/>: the browser test, the curl tests and the WebSocket tests load the models once.
/// </summary>
public sealed class HttpServiceFixture : ServiceFixture
{
    /// <summary>An origin the server is told to accept besides its own.</summary>
    public const string ListedOrigin = "https://console.example.test";

    public int HttpPort { get; } = ServeProcess.FreePort();
    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}/");
    public Uri SocketAddress(string kind) => new($"ws://127.0.0.1:{HttpPort}/v1/sessions/{kind}");

    protected override IReadOnlyDictionary<string, string> ExtraEnvironment => new Dictionary<string, string>
    {
        ["FACEMATCH_HTTP_PORT"] = HttpPort.ToString(),
        ["FACEMATCH_HTTP_ALLOWED_ORIGINS"] = ListedOrigin,
    };
}

[CollectionDefinition(Name)]
public sealed class HttpServiceCollection : ICollectionFixture<HttpServiceFixture>
{
    public const string Name = "facematch serve with the HTTP port";
}
