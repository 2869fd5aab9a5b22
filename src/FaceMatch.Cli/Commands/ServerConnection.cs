using System.CommandLine;
using FaceMatch.Client;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `--server`, `--ca-cert` and `--allow-plaintext`: how a command reaches a running server, as options of
/// <see cref="FaceMatchClientOptions"/> (https for TLS; cleartext only to loopback unless allowed).
/// </summary>
internal sealed class ServerConnection
{
    public ServerConnection(Func<string>? defaultServer, string serverDescription)
    {
        Server = new Option<string?>("--server") { Description = serverDescription };
        if (defaultServer is not null) Server.DefaultValueFactory = _ => defaultServer();
    }

    public Option<string?> Server { get; }

    public Option<FileInfo?> CaCertificate { get; } = new("--ca-cert")
    {
        Description = "PEM file of the CA that issued the server's certificate (trusted instead of the system's roots)",
    };

    public Option<bool> AllowPlaintext { get; } = new("--allow-plaintext")
    {
        Description = "allow an http:// server on another machine (the token then crosses the network in clear)",
    };

    public IEnumerable<Option> All => [Server, CaCertificate, AllowPlaintext];

    /// <summary>The loopback address on FACEMATCH_PORT (default 50051), where `facematch serve` listens by default.</summary>
    public static string LocalServer() =>
        "http://127.0.0.1:" + (Environment.GetEnvironmentVariable("FACEMATCH_PORT") is { Length: > 0 } port ? port : "50051");

    /// <exception cref="ArgumentException">a bad address or CA file, or options the client refuses.</exception>
    public FaceMatchClientOptions ClientOptions(ParseResult parse, string token)
    {
        var server = parse.GetValue(Server) ?? throw new ArgumentException("--server is required");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var address))
            throw new ArgumentException($"--server '{server}' is not an address like http://127.0.0.1:50051 or https://host:50051");
        var options = new FaceMatchClientOptions
        {
            Address = address,
            Token = token,
            AllowPlaintext = parse.GetValue(AllowPlaintext),
            CaCertificates = parse.GetValue(CaCertificate) is { } ca ? LoadCa(ca) : null,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e) when (e.ParamName == nameof(FaceMatchClientOptions.Address) && address.Scheme == "http")
        {
            throw new ArgumentException($"--server {server} is cleartext to another machine: use https, or --allow-plaintext when the network path is protected otherwise", e);
        }
        return options;
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection LoadCa(FileInfo file)
    {
        try { return FaceMatchClientOptions.LoadCaCertificates(file.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"--ca-cert {file.FullName}: {e.Message}", e);
        }
    }
}
