using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Grpc;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;
namespace FaceMatch.Bench.Grpc;
/// <summary>
/// `FaceMatch.Bench framing-probe`: times framing a 256 KiB message into a Pipe and parsing it back, apart from
/// GC, next to Google.Protobuf's own contiguous parse and serialize (a diagnostic, not a benchmark).
/// </summary>
public static class FramingProbe
{
    public static async Task<int> RunAsync()
    {
        var msg = new EchoMessage { Sequence = 1, Payload = ByteString.CopyFrom(new byte[262144]) };
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var w = new MessageWriteOptions(int.MaxValue); var r = new MessageReadOptions(int.MaxValue);
        for (int round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew(); long write = 0, read = 0;
            for (int i = 0; i < 200; i++)
            {
                var t0 = sw.ElapsedTicks;
                pipe.Writer.WriteMessage(msg, w); await pipe.Writer.FlushAsync();
                var t1 = sw.ElapsedTicks;
                var m = await pipe.Reader.ReadMessageAsync(MessageParsers<EchoMessage>.Parser, r);
                var t2 = sw.ElapsedTicks;
                write += t1 - t0; read += t2 - t1;
            }
            Console.WriteLine($"write {write * 1e6 / Stopwatch.Frequency / 200:F0} us, read {read * 1e6 / Stopwatch.Frequency / 200:F0} us");
            // contiguous parse for comparison
            var bytes = msg.ToByteArray();
            var s2 = Stopwatch.StartNew();
            for (int i = 0; i < 200; i++) EchoMessage.Parser.ParseFrom(bytes);
            Console.WriteLine($"contiguous parse {s2.Elapsed.TotalMicroseconds / 200:F0} us");
            var s3 = Stopwatch.StartNew();
            for (int i = 0; i < 200; i++) { var sw2 = new ArrayBufferWriter<byte>(300000); msg.WriteTo(sw2); }
            Console.WriteLine($"write to ArrayBufferWriter {s3.Elapsed.TotalMicroseconds / 200:F0} us");
        }
        return 0;
    }
}
