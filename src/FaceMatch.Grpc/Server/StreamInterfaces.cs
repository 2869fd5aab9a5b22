using System.Runtime.CompilerServices;

namespace FaceMatch.Grpc;

/// <summary>Messages arriving on a stream, read one at a time.</summary>
public interface IAsyncStreamReader<out T>
{
    /// <summary>The message MoveNext last read.</summary>
    T Current { get; }
    /// <summary>Reads the next message; false once the sender has half-closed the stream.</summary>
    ValueTask<bool> MoveNext(CancellationToken cancellationToken = default);
}

/// <summary>Sends messages on a stream, one at a time (a write completes before the next starts).</summary>
public interface IAsyncStreamWriter<in T>
{
    ValueTask WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>A server handler's response stream.</summary>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>;

/// <summary>A client's request stream; CompleteAsync half-closes it.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    ValueTask CompleteAsync();
}

public static class AsyncStreamReaderExtensions
{
    /// <summary>The stream as an IAsyncEnumerable, for `await foreach`.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this IAsyncStreamReader<T> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
            yield return reader.Current;
    }
}
