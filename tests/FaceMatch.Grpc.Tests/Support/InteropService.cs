using System.Collections.Concurrent;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using FaceMatch.Grpc.Tests.Interop;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Tests.Support;

/// <summary>The C# implementation of facematch.interop.v1.Interop (see Protos/interop.proto for the behaviour).</summary>
public sealed class InteropService : GrpcServiceBase
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _finished = new();

    public override ServiceDescriptor Descriptor => InteropReflection.Descriptor.Services[0];

    /// <summary>Connection ids that carried calls (to see how many HTTP/2 connections a client opened).</summary>
    public ConcurrentDictionary<string, int> Connections { get; } = new();

    public Task WhenStarted(string tag) => Signal(_started, tag).Task;
    public Task WhenCancelled(string tag) => Signal(_cancelled, tag).Task;
    public bool HasFinished(string tag) => Signal(_finished, tag).Task.IsCompleted;

    public async Task<EchoResponse> Unary(EchoRequest request, ServerCallContext context)
    {
        Observe(context);
        EchoMetadata(context);
        await Act(request, context);
        return Respond(request, context, 0);
    }

    public async Task<EchoResponse> ClientStream(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        Observe(context);
        EchoMetadata(context);
        var count = 0;
        long bytes = 0;
        var text = new List<string>();
        while (await requests.MoveNext(context.CancellationToken))
        {
            var r = requests.Current;
            await Act(r, context);
            count++;
            bytes += r.Payload.Length;
            text.Add(r.Text);
        }
        return new EchoResponse
        {
            MessageCount = count,
            TotalBytes = bytes,
            Text = string.Join(",", text),
            RequestEncoding = context.RequestEncoding ?? "",
        };
    }

    public async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Observe(context);
        EchoMetadata(context);
        for (var i = 0; i < Math.Max(1, request.ResponseCount); i++)
        {
            await responses.WriteAsync(Respond(request, context, i));
            if (i == 0 && request.Hang) await Hang(request, context);
        }
        if (request.FailCode != 0) throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
    }

    public async Task Duplex(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Observe(context);
        EchoMetadata(context);
        var index = 0;
        while (await requests.MoveNext(context.CancellationToken))
        {
            var r = requests.Current;
            if (r.FailCode != 0) throw new RpcException((StatusCode)r.FailCode, r.FailMessage);
            await responses.WriteAsync(Respond(r, context, index++));
            if (r.Hang) await Hang(r, context);
        }
    }

    public async Task<CancelReport> WasCancelled(CancelQuery query, ServerCallContext context)
    {
        var task = WhenCancelled(query.Text);
        await Task.WhenAny(task, Task.Delay(query.WaitMs, context.CancellationToken));
        return new CancelReport { Cancelled = task.IsCompleted };
    }

    private async Task Act(EchoRequest request, ServerCallContext context)
    {
        if (request.ThrowInternal) throw new InvalidOperationException("secret-internal-detail at /srv/keys");
        if (request.FailCode != 0) throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
        if (request.Hang) await Hang(request, context);
    }

    private async Task Hang(EchoRequest request, ServerCallContext context)
    {
        Signal(_started, request.Text).TrySetResult();
        try
        {
            if (request.IgnoreCancellation)
            {
                // Deliberately deaf to the token: only the server's own deadline handling can end the call.
                await Task.Delay(TimeSpan.FromSeconds(5));
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(30), context.CancellationToken);
            throw new RpcException(StatusCode.Internal, "The hang was never cancelled.");
        }
        catch (OperationCanceledException)
        {
            Signal(_cancelled, request.Text).TrySetResult();
            throw;
        }
        finally
        {
            Signal(_finished, request.Text).TrySetResult();
        }
    }

    private static EchoResponse Respond(EchoRequest request, ServerCallContext context, int index) => new()
    {
        Text = request.Text,
        Index = index,
        Payload = request.ResponseSize > 0 ? ByteString.CopyFrom(Pattern(request.ResponseSize)) : request.Payload,
        RequestEncoding = context.RequestEncoding ?? "",
    };

    public static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++) bytes[i] = (byte)(i % 251);
        return bytes;
    }

    /// <summary>Request metadata named x-* comes back in the response headers, and as x-trailer-* in the trailers.</summary>
    private static void EchoMetadata(ServerCallContext context)
    {
        foreach (var entry in context.RequestHeaders)
        {
            if (!entry.Key.StartsWith("x-", StringComparison.Ordinal)) continue;
            var trailerKey = "x-trailer-" + entry.Key[2..];
            if (entry.IsBinary)
            {
                context.ResponseHeaders.Add(entry.Key, entry.ValueBytes);
                context.ResponseTrailers.Add(trailerKey, entry.ValueBytes);
            }
            else
            {
                context.ResponseHeaders.Add(entry.Key, entry.Value);
                context.ResponseTrailers.Add(trailerKey, entry.Value);
            }
        }
    }

    private void Observe(ServerCallContext context) =>
        Connections.AddOrUpdate(context.GetHttpContext().Connection.Id, 1, (_, n) => n + 1);

    private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> map, string tag) =>
        map.GetOrAdd(tag, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
