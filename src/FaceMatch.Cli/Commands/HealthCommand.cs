using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch health`: asks a server's grpc.health.v1 service whether it is SERVING and exits 0 if so, 1 if not
/// (the containers' HEALTHCHECK). With FACEMATCH_TLS_CERT set, as in a TLS container, it connects over TLS to
/// loopback and trusts exactly that certificate, which is the server's own: no CA bundle, no disabled checks.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var server = new Option<string?>("--server")
        {
            Description = "Server address (default: http, or https when FACEMATCH_TLS_CERT is set, to 127.0.0.1:$FACEMATCH_PORT, else 50051)",
        };
        var service = new Option<string>("--service") { Description = "Service to ask about (default: the whole server)", DefaultValueFactory = _ => "" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the answer", DefaultValueFactory = _ => 5 };
        var command = new Command("health", "Check that a running server answers SERVING (exit 0), else exit 1.") { server, service, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var certificate = Environment.GetEnvironmentVariable("FACEMATCH_TLS_CERT") is { Length: > 0 } path ? path : null;
            var port = Environment.GetEnvironmentVariable("FACEMATCH_PORT") is { Length: > 0 } p ? p : "50051";
            var address = parse.GetValue(server) ?? $"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}";
            using var handler = new SocketsHttpHandler();
            try
            {
                if (certificate is not null && address.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
                {
                    var pinned = X509CertificateLoader.LoadCertificateFromFile(certificate);
                    handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                        presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
                }
                using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
                var answer = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = parse.GetValue(service) },
                    deadline: DateTime.UtcNow.AddSeconds(parse.GetValue(timeout)), cancellationToken: cancellationToken);
                Console.WriteLine(answer.Status);
                return answer.Status == ServingStatus.Serving ? 0 : 1;
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"facematch health: {e.StatusCode}: {e.Status.Detail}");
                return 1;
            }
            catch (Exception e) when (e is UriFormatException or System.Security.Cryptography.CryptographicException or IOException)
            {
                Console.Error.WriteLine($"facematch health: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
