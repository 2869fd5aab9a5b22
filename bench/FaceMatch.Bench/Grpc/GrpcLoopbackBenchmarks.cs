using BenchmarkDotNet.Attributes;
using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Server.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Bench.Grpc;

/// <summary>
/// Grpc.Net.Client against the FaceMatch host (grpc-dotnet on Kestrel, with the server's interceptor pipeline)
/// over loopback h2c, in one process (so Allocated counts both sides). Unary: one round trip per op, alone or 32 at once.
/// Duplex: messages per second on one open bidirectional call, 64 in flight at a time.
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*GrpcLoopback*' --job short
/// </summary>
[MemoryDiagnoser]
public class GrpcLoopbackBenchmarks
{
    private const int Concurrent = 32;
    private const int DuplexBatch = 64;

    private FaceMatchServer _server = null!;
    private GrpcChannel _channel = null!;
    private Echo.EchoClient _client = null!;
    private EchoMessage _message = null!;
    private AsyncDuplexStreamingCall<EchoMessage, EchoMessage> _duplex = null!;
    private readonly Task<EchoMessage>[] _pending = new Task<EchoMessage>[Concurrent];

    [Params(64, 4096)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = EchoService.StartServerAsync().GetAwaiter().GetResult();
        _channel = GrpcChannel.ForAddress(_server.LocalAddress);
        _client = new Echo.EchoClient(_channel);
        _message = new EchoMessage { Sequence = 1, Payload = ByteString.CopyFrom(new byte[PayloadBytes]) };
        _duplex = _client.Duplex();
        _client.UnaryAsync(_message).ResponseAsync.GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _duplex.RequestStream.CompleteAsync().GetAwaiter().GetResult();
        while (_duplex.ResponseStream.MoveNext(CancellationToken.None).GetAwaiter().GetResult()) { }
        _duplex.Dispose();
        _channel.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "unary round trip")]
    public Task<EchoMessage> Unary() => _client.UnaryAsync(_message).ResponseAsync;

    [Benchmark(Description = "unary, 32 concurrent", OperationsPerInvoke = Concurrent)]
    public async Task UnaryConcurrent()
    {
        for (var i = 0; i < Concurrent; i++) _pending[i] = _client.UnaryAsync(_message).ResponseAsync;
        await Task.WhenAll(_pending);
    }

    [Benchmark(Description = "duplex message", OperationsPerInvoke = DuplexBatch)]
    public async Task DuplexMessages()
    {
        // Writes run ahead of reads by up to the batch; each echo is read back before the batch ends.
        var reader = ReadAsync(DuplexBatch);
        for (var i = 0; i < DuplexBatch; i++) await _duplex.RequestStream.WriteAsync(_message);
        await reader;
    }

    private async Task ReadAsync(int count)
    {
        for (var i = 0; i < count; i++)
            if (!await _duplex.ResponseStream.MoveNext(CancellationToken.None)) throw new InvalidOperationException("duplex call ended early");
    }
}
