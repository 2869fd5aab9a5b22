using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Server.Hosting;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Bench.Grpc;

/// <summary>facematch.bench.v1.Echo: answers every message with itself.</summary>
public sealed class EchoService : Echo.EchoBase
{
    public override Task<EchoMessage> Unary(EchoMessage request, ServerCallContext context) => Task.FromResult(request);

    public override async Task Duplex(IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken))
            await responses.WriteAsync(requests.Current, context.CancellationToken);
    }

    /// <summary>
    /// The product host (Kestrel, the whole call pipeline: logging, metrics, error mapping) with this service on a
    /// loopback port (0: any free one), so the numbers include what every FaceMatch call pays. Logs go nowhere.
    /// </summary>
    public static async Task<FaceMatchServer> StartServerAsync(int port = 0, int maxConcurrentStreams = 100)
    {
        var server = FaceMatchServer.Create(
            new ServerSettings { Port = port, MetricsPort = 0, MaxConcurrentStreams = maxConcurrentStreams },
            c => c.MapService<EchoService>(),
            logging => logging.SetMinimumLevel(LogLevel.None));
        await server.StartAsync();
        server.MarkServing();
        return server;
    }
}

/// <summary>
/// `FaceMatch.Bench grpc-echo-server [port]`: hosts the echo service for an outside load generator
/// (grpcjs-load.mjs) and prints {"port": N}; stops when stdin closes or on SIGINT/SIGTERM.
/// </summary>
public static class EchoServerMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = args.Length > 0 ? int.Parse(args[0]) : 0;
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        await using var server = await EchoService.StartServerAsync(port, maxConcurrentStreams: 1000);
        Console.WriteLine($"{{\"port\": {server.Port}}}");
        await Task.WhenAny(Console.In.ReadToEndAsync(), Task.Delay(Timeout.Infinite, stop.Token));
        await server.StopAsync();
        return 0;
    }
}
