using System.Collections.Concurrent;
using FASTER.core;

namespace FaceMatch.Vault.Storage;

/// <summary>
/// FASTER client sessions are single-threaded; the vault is called from many threads at once. Each operation
/// rents a session, runs synchronously on it, and hands it back before any await, so a session never crosses
/// threads mid-operation and the pool grows only to the peak number of concurrent callers.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> _store;
    private readonly ConcurrentBag<ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions>> _idle = new();
    private readonly ConcurrentBag<ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions>> _all = new();
    private int _disposed;

    public SessionPool(FasterKV<SpanByte, SpanByte> store) => _store = store;

    public ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions> Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_idle.TryTake(out var session)) return session;
        session = _store.For(new StoreFunctions()).NewSession<StoreFunctions>();
        _all.Add(session);
        return session;
    }

    public void Return(ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions> session)
    {
        if (_disposed == 0) _idle.Add(session);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _all) session.Dispose();
    }
}
