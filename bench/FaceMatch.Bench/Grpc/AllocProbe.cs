using System.Diagnostics.Tracing;
using FaceMatch.Bench.Grpc.Proto;
using FaceMatch.Grpc.Client;
using Google.Protobuf;

namespace FaceMatch.Bench.Grpc;

/// <summary>
/// `FaceMatch.Bench alloc-probe`: 50,000 duplex messages over loopback with allocation-tick sampling, printing
/// bytes per message and the types allocated most (a diagnostic: which layer allocates per message).
/// </summary>
public static class AllocProbe
{
    private sealed class Listener : EventListener
    {
        public readonly Dictionary<string, long> Counts = new();
        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName != "GCAllocationTick_V4" || e.Payload is null) return;
            var name = e.Payload[e.PayloadNames!.IndexOf("TypeName")]?.ToString() ?? "?";
            lock (Counts) Counts[name] = Counts.GetValueOrDefault(name) + 1;
        }
    }

    public static async Task<int> RunAsync()
    {
        await using var host = await EchoService.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(host.LocalAddress);
        var msg = new EchoMessage { Sequence = 1, Payload = ByteString.CopyFrom(new byte[64]) };
        using var call = channel.DuplexStreamingCall(EchoService.DuplexMethod);
        async Task Batch(int n)
        {
            for (var i = 0; i < n; i++)
            {
                await call.RequestStream.WriteAsync(msg);
                await call.ResponseStream.MoveNext();
            }
        }
        await Batch(2000);
        using var listener = new Listener();
        var before = GC.GetTotalAllocatedBytes(true);
        await Batch(50000);
        var after = GC.GetTotalAllocatedBytes(true);
        Console.WriteLine($"bytes/msg {(after - before) / 50000.0:F0}");
        foreach (var (k, v) in listener.Counts.OrderByDescending(kv => kv.Value).Take(25)) Console.WriteLine($"{v,6} {k}");
        await call.RequestStream.CompleteAsync();
        return 0;
    }
}
