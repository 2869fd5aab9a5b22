using FaceMatch.Vault.Templates;

namespace FaceMatch.Vault.Changes;

/// <summary>
/// The registered <see cref="ITemplateListener"/>s and the one lock that serialises calls to them. Serialising is
/// what keeps a copy in step: a store announcement re-reads the record inside the lock, so it cannot overtake a
/// removal of the same record (or of its tenant) announced by another thread.
/// </summary>
internal sealed class ChangeNotifier
{
    private readonly object _lock = new();
    private ITemplateListener[] _listeners = [];

    public IDisposable Add(ITemplateListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_lock) _listeners = [.. _listeners, listener];
        return new Subscription(this, listener);
    }

    private void Remove(ITemplateListener listener)
    {
        lock (_lock) _listeners = _listeners.Where(l => !ReferenceEquals(l, listener)).ToArray();
    }

    /// <summary>
    /// Announces a stored template: <paramref name="current"/> returns what the vault holds now, or null when the
    /// template (or its tenant) is gone, in which case nothing is announced. It is evaluated inside the lock, so
    /// a removal announced by another thread is either seen by it or announced after it. Returns that template.
    /// </summary>
    public (StoredTemplate? Template, ListenerFailure? Failure) Stored(string tenantId, Func<StoredTemplate?> current)
    {
        lock (_lock)
        {
            if (current() is not { } template) return (null, null);
            return (template, Invoke(l => l.TemplateStored(tenantId, template)));
        }
    }

    public ListenerFailure? Removed(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason)
    {
        if (templateIds.Count == 0) return null;
        lock (_lock) return Invoke(l => l.TemplatesRemoved(tenantId, templateIds, reason));
    }

    public ListenerFailure? TenantDeleted(string tenantId)
    {
        lock (_lock) return Invoke(l => l.TenantDeleted(tenantId));
    }

    /// <summary>Calls every listener even when one throws: one faulty listener must not leave the others stale.</summary>
    private ListenerFailure? Invoke(Action<ITemplateListener> call)
    {
        List<Exception>? errors = null;
        foreach (var listener in _listeners)
        {
            try { call(listener); }
            catch (Exception ex) { (errors ??= []).Add(ex); }
        }
        return errors is null ? null : new ListenerFailure(errors);
    }

    private sealed class Subscription(ChangeNotifier owner, ITemplateListener listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Remove(listener);
        }
    }
}

/// <summary>
/// Listener exceptions held back until the vault's work is committed, then thrown by <see cref="ThrowIfAny"/>.
/// </summary>
internal sealed class ListenerFailure(IReadOnlyList<Exception> errors)
{
    public IReadOnlyList<Exception> Errors { get; } = errors;

    public static ListenerFailure? Combine(ListenerFailure? a, ListenerFailure? b) =>
        a is null ? b : b is null ? a : new ListenerFailure([.. a.Errors, .. b.Errors]);

    /// <param name="templateId">The template an add created, so the caller can still report (or erase) it.</param>
    public static void ThrowIfAny(ListenerFailure? failure, string? templateId = null)
    {
        if (failure is null) return;
        var inner = failure.Errors.Count == 1 ? failure.Errors[0] : new AggregateException(failure.Errors);
        throw new VaultListenerException("a template listener failed; the vault's change itself is committed", inner, templateId);
    }
}
