using System.Runtime.CompilerServices;

namespace FaceMatch.Grpc.Client;

/// <summary>A unary call in flight. Await it (or ResponseAsync) for the response; status and trailers after.</summary>
public sealed class AsyncUnaryCall<TResponse>(
    Task<TResponse> response, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, Action dispose) : IDisposable
{
    public Task<TResponse> ResponseAsync => response;
    public Task<Metadata> ResponseHeadersAsync => headers;
    public Status GetStatus() => status();
    public Metadata GetTrailers() => trailers();
    public TaskAwaiter<TResponse> GetAwaiter() => response.GetAwaiter();
    /// <summary>Cancels the call if it is still running.</summary>
    public void Dispose() => dispose();
}

/// <summary>A client-streaming call: write requests, CompleteAsync, then await the one response.</summary>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : IDisposable
    where TRequest : class, Google.Protobuf.IMessage<TRequest>, new()
    where TResponse : class, Google.Protobuf.IMessage<TResponse>, new()
{
    private readonly ClientCall<TRequest, TResponse> _call;

    internal AsyncClientStreamingCall(ClientCall<TRequest, TResponse> call, Task<TResponse> response)
    {
        _call = call;
        ResponseAsync = response;
    }

    public IClientStreamWriter<TRequest> RequestStream => _call;
    public Task<TResponse> ResponseAsync { get; }
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;
    public Status GetStatus() => _call.GetStatus();
    public Metadata GetTrailers() => _call.GetTrailers();
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
    public void Dispose() => _call.Dispose();
}

/// <summary>A server-streaming call: read ResponseStream until MoveNext returns false (status OK) or throws.</summary>
public sealed class AsyncServerStreamingCall<TResponse>(
    IAsyncStreamReader<TResponse> responses, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, Action dispose) : IDisposable
{
    public IAsyncStreamReader<TResponse> ResponseStream => responses;
    public Task<Metadata> ResponseHeadersAsync => headers;
    public Status GetStatus() => status();
    public Metadata GetTrailers() => trailers();
    public void Dispose() => dispose();
}

/// <summary>A bidirectional call: write and read independently; CompleteAsync half-closes the request side.</summary>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : IDisposable
    where TRequest : class, Google.Protobuf.IMessage<TRequest>, new()
    where TResponse : class, Google.Protobuf.IMessage<TResponse>, new()
{
    private readonly ClientCall<TRequest, TResponse> _call;

    internal AsyncDuplexStreamingCall(ClientCall<TRequest, TResponse> call)
    {
        _call = call;
    }

    public IClientStreamWriter<TRequest> RequestStream => _call;
    public IAsyncStreamReader<TResponse> ResponseStream => _call;
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;
    public Status GetStatus() => _call.GetStatus();
    public Metadata GetTrailers() => _call.GetTrailers();
    public void Dispose() => _call.Dispose();
}
