using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Grpc;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using Google.Protobuf.Reflection;

namespace FaceMatch.Bench.Grpc;

/// <summary>facematch.bench.v1.Echo: answers every message with itself.</summary>
public sealed class EchoService : GrpcServiceBase
{
    public static readonly ServiceDescriptor Service = BenchReflection.Descriptor.Services[0];
    public static readonly Method<EchoMessage, EchoMessage> UnaryMethod = Method<EchoMessage, EchoMessage>.FromDescriptor(Service.FindMethodByName("Unary"));
    public static readonly Method<EchoMessage, EchoMessage> DuplexMethod = Method<EchoMessage, EchoMessage>.FromDescriptor(Service.FindMethodByName("Duplex"));

    public override ServiceDescriptor Descriptor => Service;

    public Task<EchoMessage> Unary(EchoMessage request, ServerCallContext context) => Task.FromResult(request);

    public async Task Duplex(IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken))
            await responses.WriteAsync(requests.Current, context.CancellationToken);
    }

    /// <summary>A started server with this service on a loopback port (0: any free one).</summary>
    public static async Task<GrpcServerHost> StartServerAsync(int port = 0, int maxConcurrentStreams = 100)
    {
        var registry = new GrpcServiceRegistry().Add(new EchoService());
        var host = GrpcServerHost.Create(new GrpcHostOptions
        {
            Address = System.Net.IPAddress.Loopback,
            Port = port,
            Server = new GrpcServerOptions { MaxConcurrentStreams = maxConcurrentStreams },
        }, registry);
        await host.StartAsync();
        return host;
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
        await using var host = await EchoService.StartServerAsync(port, maxConcurrentStreams: 1000);
        Console.WriteLine($"{{\"port\": {host.Port}}}");
        await Task.WhenAny(Console.In.ReadToEndAsync(), Task.Delay(Timeout.Infinite, stop.Token));
        await host.StopAsync();
        return 0;
    }
}
