using System.CommandLine;
using FaceMatch.Client;
using Grpc.Core;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch compare --server URL A B`: the two photos through a running server's Compare call, with a tenant token
/// from --token or FACEMATCH_TOKEN (never printed); the output is offline compare's.
/// </summary>
internal sealed class RemoteCompare
{
    public const string TokenVariable = "FACEMATCH_TOKEN";

    private readonly ServerConnection _connection = new(defaultServer: null,
        "compare through this running server (http://127.0.0.1:50051, https://host:50051) instead of the local models");

    private readonly Option<string?> _token = new("--token")
    {
        Description = $"tenant token for --server (default: ${TokenVariable}; prefer the variable, arguments show in process lists)",
    };

    public static RemoteCompare Options() => new();

    public IEnumerable<Option> All => [.. _connection.All, _token];

    public bool IsRequested(ParseResult parse) => parse.GetValue(_connection.Server) is not null;

    public async Task<int> RunAsync(ParseResult parse, FileInfo a, FileInfo b, CancellationToken cancellationToken)
    {
        try
        {
            var token = parse.GetValue(_token) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment.Trim()
                : throw new ArgumentException($"no token: set {TokenVariable} or pass --token");
            var imageA = await File.ReadAllBytesAsync(a.FullName, cancellationToken);
            var imageB = await File.ReadAllBytesAsync(b.FullName, cancellationToken);
            using var client = new FaceMatchClient(_connection.ClientOptions(parse, token));
            var answer = await client.CompareAsync(imageA, imageB, cancellationToken);
            VisionCommands.PrintComparison(answer.Score, answer.Match, answer.Threshold);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return CliJson.Error(e.Message);
        }
        catch (RpcException e)
        {
            // A photo the server refuses (no face, not an image) is the input's fault, as offline; anything else is the call's.
            return CliJson.Error($"{e.StatusCode}: {e.Status.Detail}", e.StatusCode == StatusCode.InvalidArgument ? 2 : 1);
        }
    }
}
