using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Grpc;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;

namespace FaceMatch.Bench.Grpc;

/// <summary>
/// The framing alone: one message written into a Pipe and read back as a new message object. Allocated
/// shows what a message costs beyond itself (the parsed EchoMessage and its payload bytes are the only
/// expected allocations).
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*MessageFraming*' --job short
/// </summary>
[MemoryDiagnoser]
public class MessageFramingBenchmarks
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly MessageParser<EchoMessage> _parser = MessageParsers<EchoMessage>.Parser;
    private EchoMessage _message = null!;
    private readonly MessageReadOptions _read = new(16 * 1024 * 1024);
    private readonly MessageWriteOptions _write = new(16 * 1024 * 1024);
    private readonly MessageWriteOptions _writeGzip = new(16 * 1024 * 1024, GzipCompressor.Instance);
    private readonly MessageReadOptions _readGzip = new(16 * 1024 * 1024, GzipCompressor.Instance);

    [Params(64, 4096, 262144)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _message = new EchoMessage { Sequence = 42, Payload = ByteString.CopyFrom(new byte[PayloadBytes]) };

    [Benchmark(Description = "frame + parse")]
    public async ValueTask<EchoMessage?> RoundTrip()
    {
        _pipe.Writer.WriteMessage(_message, _write);
        await _pipe.Writer.FlushAsync();
        return await _pipe.Reader.ReadMessageAsync(_parser, _read);
    }

    [Benchmark(Description = "frame + parse, gzip")]
    public async ValueTask<EchoMessage?> RoundTripGzip()
    {
        _pipe.Writer.WriteMessage(_message, _writeGzip);
        await _pipe.Writer.FlushAsync();
        return await _pipe.Reader.ReadMessageAsync(_parser, _readGzip);
    }
}
