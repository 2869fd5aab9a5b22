using System.Collections.Concurrent;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Galleries;

/// <summary>
/// One <see cref="Gallery"/> per tenant (customer): galleries never share memory or rows, so one tenant's search
/// can never return another's id. Tenant ids are opaque strings.
/// </summary>
public sealed class TenantGalleries : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Gallery>> _galleries = new(StringComparer.Ordinal);
    private readonly Func<string, GalleryOptions> _optionsFor;
    private int _disposed;

    /// <param name="optionsFor">Options for a tenant's gallery when it is first used (dimension, precision, limits).</param>
    public TenantGalleries(Func<string, GalleryOptions> optionsFor)
    {
        _optionsFor = optionsFor ?? throw new ArgumentNullException(nameof(optionsFor));
    }

    /// <summary>The tenant's gallery, created empty on first use.</summary>
    public Gallery For(string tenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _galleries.GetOrAdd(tenant, t => new Lazy<Gallery>(() => new Gallery(_optionsFor(t)))).Value;
    }

    public bool TryGet(string tenant, out Gallery? gallery)
    {
        gallery = _galleries.TryGetValue(tenant, out var lazy) && lazy.IsValueCreated ? lazy.Value : null;
        return gallery != null;
    }

    /// <summary>Puts <paramref name="gallery"/> in place of the tenant's gallery (e.g. rebuilt in another precision) and disposes the old one.</summary>
    public void Replace(string tenant, Gallery gallery)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(gallery);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var fresh = new Lazy<Gallery>(gallery);
        Lazy<Gallery>? old = null;
        _galleries.AddOrUpdate(tenant, fresh, (_, previous) => { old = previous; return fresh; });
        if (old is { IsValueCreated: true }) old.Value.Dispose();
    }

    /// <summary>Drops a tenant's gallery and frees its memory (e.g. the customer was deleted). False if it had none.</summary>
    public bool Drop(string tenant)
    {
        if (!_galleries.TryRemove(tenant, out var lazy)) return false;
        if (lazy.IsValueCreated) lazy.Value.Dispose();
        return true;
    }

    public IReadOnlyCollection<string> Tenants => _galleries.Keys.ToArray();

    /// <summary>Native bytes held by all galleries of this process (see <see cref="NativeMemoryLedger"/>).</summary>
    public static long NativeBytes => NativeMemoryLedger.AllocatedBytes;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var lazy in _galleries.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
        _galleries.Clear();
    }
}
