using FaceMatch.Vault.Templates;

namespace FaceMatch.Vault.Changes;

/// <summary>Why templates left the vault.</summary>
public enum TemplateRemovalReason
{
    /// <summary><see cref="TemplateStore.DeleteAsync"/>: right to erasure.</summary>
    Erased = 1,
    /// <summary>Past the tenant's retention: found by a read or purged by the retention sweeper.</summary>
    Expired = 2,
}

/// <summary>
/// Told synchronously about every change to the set of templates, so an in-memory copy (a matching gallery) stays
/// what the vault holds. Calls are serialised (one at a time, across all listeners) and made outside the vault's
/// record locks; a listener must be quick and must not call back into the vault from the callback.
/// <list type="bullet">
/// <item>Removals (<see cref="TemplatesRemoved"/>, <see cref="TenantDeleted"/>) arrive once the records are
/// unreadable and before the call or sweep that removed them returns (before its commit, so the window in which
/// a copy still holds a removed row is as short as it can be).</item>
/// <item>Stores (<see cref="TemplateStored"/>) arrive after the write is durable and carry what the vault holds
/// at that moment; a template deleted (or whose tenant was deleted) in between is not announced.</item>
/// </list>
/// An exception from a listener never undoes or skips the vault's work: every listener is still called, the
/// change is committed, and then the call that caused it throws <see cref="VaultListenerException"/>.
/// </summary>
public interface ITemplateListener
{
    /// <summary>A template was added (enrolment) or replaced (<see cref="TemplateStore.UpdateAsync"/>).</summary>
    void TemplateStored(string tenantId, StoredTemplate template);

    /// <summary>These templates of the tenant are gone.</summary>
    void TemplatesRemoved(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason);

    /// <summary>The tenant is deleted: all its templates are gone (one call, not one per template).</summary>
    void TenantDeleted(string tenantId);
}
