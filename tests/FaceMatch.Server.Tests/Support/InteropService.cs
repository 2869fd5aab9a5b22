using System.Collections.Concurrent;
using InteropTestService.V1;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// The C# implementation of facematch.interop.v1.Interop (tests/interop/protos/interop.proto says what each
/// method does), on the generated base class; NotBound is left to the base, which answers UNIMPLEMENTED.
/// One instance per test server (registered as a singleton), so tests can see what its handlers observed.
/// </summary>
public sealed class InteropService : Interop.InteropBase
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _finished = new();

    /// <summary>Connection ids that carried calls (to see how many HTTP/2 connections a client opened).</summary>
    public ConcurrentDictionary<string, int> Connections { get; } = new();

    public Task WhenStarted(string tag) => Signal(_started, tag).Task;
    public Task WhenCancelled(string tag) => Signal(_cancelled, tag).Task;
    public bool HasFinished(string tag) => Signal(_finished, tag).Task.IsCompleted;

    public override async Task<EchoResponse> Unary(EchoRequest request, ServerCallContext context)
    {
        Observe(context);
        await EchoMetadata(context);
        await Act(request, context);
        return Respond(request, context, 0);
    }

    public override async Task<EchoResponse> ClientStream(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        Observe(context);
        await EchoMetadata(context);
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
            RequestEncoding = RequestEncoding(context),
        };
    }

    public override async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Observe(context);
        await EchoMetadata(context);
        for (var i = 0; i < Math.Max(1, request.ResponseCount); i++)
        {
            // Watched before the first write: a client may cancel as soon as that response arrives.
            if (i == 0 && request.Hang) WatchCancellation(request, context);
            await responses.WriteAsync(Respond(request, context, i));
            if (i == 0 && request.Hang) await Hang(request, context);
        }
        if (request.FailCode != 0) throw new RpcException(new Status((StatusCode)request.FailCode, request.FailMessage));
    }

    public override async Task Duplex(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Observe(context);
        await EchoMetadata(context);
        var index = 0;
        while (await requests.MoveNext(context.CancellationToken))
        {
            var r = requests.Current;
            ThrowLibrary(r.ThrowLibrary);
            if (r.FailCode != 0) throw new RpcException(new Status((StatusCode)r.FailCode, r.FailMessage));
            await responses.WriteAsync(Respond(r, context, index++));
            if (r.Hang) await Hang(r, context);
        }
    }

    public override async Task<CancelReport> WasCancelled(CancelQuery query, ServerCallContext context)
    {
        var task = WhenCancelled(query.Text);
        await Task.WhenAny(task, Task.Delay(query.WaitMs, context.CancellationToken));
        return new CancelReport { Cancelled = task.IsCompleted };
    }

    public const string DecodeFailureText = "not a JPEG or PNG file";

    private static void ThrowLibrary(string kind)
    {
        switch (kind)
        {
            case "": return;
            case "decode": throw new ImageDecodeException(ImageDecodeError.UnknownFormat, DecodeFailureText);
            case "overload": throw new BatcherFullException("detector", 64);
            default: throw new ArgumentException($"unknown throw_library '{kind}'");
        }
    }

    private async Task Act(EchoRequest request, ServerCallContext context)
    {
        ThrowLibrary(request.ThrowLibrary);
        if (request.ThrowInternal) throw new InvalidOperationException("secret-internal-detail at /srv/keys");
        if (request.FailCode != 0) throw new RpcException(new Status((StatusCode)request.FailCode, request.FailMessage));
        if (request.Hang) await Hang(request, context);
    }

    /// <summary>Records under the request's tag the moment the call's token fires, wherever the handler is then.</summary>
    private void WatchCancellation(EchoRequest request, ServerCallContext context) =>
        context.CancellationToken.Register(() => Signal(_cancelled, request.Text).TrySetResult());

    private async Task Hang(EchoRequest request, ServerCallContext context)
    {
        WatchCancellation(request, context);
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
            throw new RpcException(new Status(StatusCode.Internal, "The hang was never cancelled."));
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
        RequestEncoding = RequestEncoding(context),
    };

    public static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++) bytes[i] = (byte)(i % 251);
        return bytes;
    }

    /// <summary>The request's grpc-encoding as it came on the wire ("" when uncompressed).</summary>
    private static string RequestEncoding(ServerCallContext context)
    {
        var encoding = context.GetHttpContext().Request.Headers["grpc-encoding"].ToString();
        return encoding == "identity" ? "" : encoding;
    }

    /// <summary>Request metadata named x-* comes back in the response headers, and as x-trailer-* in the trailers.</summary>
    private static async Task EchoMetadata(ServerCallContext context)
    {
        var headers = new Metadata();
        foreach (var entry in context.RequestHeaders)
        {
            if (!entry.Key.StartsWith("x-", StringComparison.Ordinal)) continue;
            var trailerKey = "x-trailer-" + entry.Key[2..];
            if (entry.IsBinary)
            {
                headers.Add(entry.Key, entry.ValueBytes);
                context.ResponseTrailers.Add(trailerKey, entry.ValueBytes);
            }
            else
            {
                headers.Add(entry.Key, entry.Value);
                context.ResponseTrailers.Add(trailerKey, entry.Value);
            }
        }
        if (headers.Count > 0) await context.WriteResponseHeadersAsync(headers);
    }

    private void Observe(ServerCallContext context) =>
        Connections.AddOrUpdate(context.GetHttpContext().Connection.Id, 1, (_, n) => n + 1);

    private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> map, string tag) =>
        map.GetOrAdd(tag, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
