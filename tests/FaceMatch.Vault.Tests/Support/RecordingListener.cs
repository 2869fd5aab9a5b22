using System.Collections.Concurrent;
using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Templates;

namespace FaceMatch.Vault.Tests.Support;

/// <summary>One announcement as a listener saw it, with whatever the test probed at that moment.</summary>
public sealed record Heard(string Kind, string TenantId, IReadOnlyList<string> TemplateIds, TemplateRemovalReason? Reason, StoredTemplate? Template, object? Probe);

/// <summary>
/// Records every announcement in order. <see cref="Probe"/> runs inside the callback, so a test can check the
/// vault's state at the moment of the announcement (not after the call returned).
/// </summary>
public sealed class RecordingListener : ITemplateListener
{
    public ConcurrentQueue<Heard> Events { get; } = new();
    public Func<Heard, object?>? Probe { get; set; }
    public Exception? Throw { get; set; }

    public void TemplateStored(string tenantId, StoredTemplate template) =>
        Record(new Heard("stored", tenantId, [template.TemplateId], null, template, null));

    public void TemplatesRemoved(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason) =>
        Record(new Heard("removed", tenantId, templateIds.ToArray(), reason, null, null));

    public void TenantDeleted(string tenantId) => Record(new Heard("tenant-deleted", tenantId, [], null, null, null));

    private void Record(Heard heard)
    {
        Events.Enqueue(heard with { Probe = Probe?.Invoke(heard) });
        if (Throw is not null) throw Throw;
    }
}
