using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using FaceMatch.Grpc.Framing;
using Google.Protobuf;

namespace FaceMatch.Grpc.Client;

/// <summary>
/// A client's connection(s) to one server address: SocketsHttpHandler speaking HTTP/2 only (h2c with prior
/// knowledge for http://, TLS with ALPN h2 for https://), opening more connections when one's streams are
/// all in use. Thread-safe; make one per server and share it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);
    private readonly bool _ownsHandler;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"A gRPC address is http:// (h2c) or https:// (TLS), not {address.Scheme}://.", nameof(address));
        if (options.MaxReceiveMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxReceiveMessageSize must be positive.");
        if (options.MaxSendMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxSendMessageSize must be positive.");
        IMessageCompressor? compressor = null;
        if (options.RequestCompression is { } name && !name.Equals(MessageCompressors.Identity, StringComparison.OrdinalIgnoreCase))
            compressor = MessageCompressors.Find(name) ?? throw new ArgumentException($"Unknown request compression '{name}'.", nameof(options));

        Address = address;
        Options = options;
        WriteOptions = new MessageWriteOptions(options.MaxSendMessageSize, compressor, options.CompressionLevel);
        _ownsHandler = options.HttpHandler is null;
        Invoker = new HttpMessageInvoker(options.HttpHandler ?? CreateHandler(options), disposeHandler: _ownsHandler);
    }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) => ForAddress(new Uri(address), options);
    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null) => new(address, options ?? new GrpcChannelOptions());

    public Uri Address { get; }
    public GrpcChannelOptions Options { get; }
    internal MessageWriteOptions WriteOptions { get; }
    internal HttpMessageInvoker Invoker { get; }

    internal Uri UriFor(string path) => _uris.GetOrAdd(path, static (p, baseUri) => new Uri(baseUri, p), Address);

    public AsyncUnaryCall<TResponse> UnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request ?? throw new ArgumentNullException(nameof(request)));
        return new AsyncUnaryCall<TResponse>(call.ReadSingleResponseAsync(), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    /// <summary>A unary call, awaited for its response (throws RpcException for any status but OK).</summary>
    public Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request ?? throw new ArgumentNullException(nameof(request)));
        return call.ReadSingleResponseAsync();
    }

    public AsyncClientStreamingCall<TRequest, TResponse> ClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, call.ReadSingleResponseAsync());
    }

    public AsyncServerStreamingCall<TResponse> ServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request ?? throw new ArgumentNullException(nameof(request)));
        return new AsyncServerStreamingCall<TResponse>(call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public AsyncDuplexStreamingCall<TRequest, TResponse> DuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call);
    }

    public void Dispose() => Invoker.Dispose();

    private static SocketsHttpHandler CreateHandler(GrpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            // Large enough that a multi-megabyte message is not throttled by window-update round trips.
            InitialHttp2StreamWindowSize = 2 * 1024 * 1024,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = options.RemoteCertificateValidation,
        };
        return handler;
    }
}
