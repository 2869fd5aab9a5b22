using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Retention;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// Every change to the set of templates reaches the listeners before the call that made it returns: the checks
/// right after each await need no waiting, because the announcement is synchronous. Probes taken inside the
/// callback show the vault's state at the moment of the announcement.
/// </summary>
public sealed class ListenerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_add_is_announced_once_durable_and_an_erasure_once_unreadable()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var listener = new RecordingListener();
        using var _ = vault.AddListener(listener);
        string? removedId = null;
        listener.Probe = heard => heard.Kind == "stored"
            ? vault.Store.CommitCount
            : vault.Templates.ReadSealed(tenant, removedId!) is null; // unreadable at the announcement?
        var commitsBefore = vault.Store.CommitCount;

        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "mobileface-v1");
        var stored = Assert.Single(listener.Events);
        Assert.Equal(("stored", tenant), (stored.Kind, stored.TenantId));
        Assert.Equal(id, stored.Template!.TemplateId);
        Assert.Equal("mobileface-v1", stored.Template.Model);
        Assert.Equal((await vault.Templates.GetAsync(tenant, id, markUsed: false))!.ProtectedTemplate, stored.Template.ProtectedTemplate);
        Assert.True((long)stored.Probe! > commitsBefore, "announced before the commit that acknowledges the add");

        removedId = id;
        Assert.True(await vault.Templates.DeleteAsync(tenant, id));
        var removed = listener.Events.Last();
        Assert.Equal(("removed", tenant, TemplateRemovalReason.Erased), (removed.Kind, removed.TenantId, removed.Reason));
        Assert.Equal([id], removed.TemplateIds);
        Assert.Equal(true, removed.Probe);

        // Nothing to remove, nothing announced: unknown, repeated, malformed, another tenant's.
        var other = (await vault.Tenants.CreateAsync("other")).TenantId;
        var others = await vault.Templates.AddAsync(other, TestVault.RandomVector(new Random(2)), "m");
        var count = listener.Events.Count;
        Assert.False(await vault.Templates.DeleteAsync(tenant, id));
        Assert.False(await vault.Templates.DeleteAsync(tenant, "not-an-id"));
        Assert.False(await vault.Templates.DeleteAsync(tenant, others));
        Assert.Equal(count, listener.Events.Count);
    }

    [Fact]
    public async Task A_read_that_finds_a_template_expired_announces_its_removal_once()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme", new Policy { TemplateRetentionDays = 30 })).TenantId;
        var viaGet = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var viaExport = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(2)), "m");
        var viaSamples = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(3)), "m");
        var listener = new RecordingListener();
        using var _ = vault.AddListener(listener);

        _clock.Advance(TimeSpan.FromDays(30));
        Assert.Null(await vault.Templates.GetAsync(tenant, viaGet));
        Assert.Null(vault.Templates.Export(tenant, viaExport));
        Assert.Null(await vault.Templates.AddSamplesAsync(tenant, viaSamples, TestVault.RandomVector(new Random(4)), "m"));
        Assert.Equal([[viaGet], [viaExport], [viaSamples]], listener.Events.Select(e => e.TemplateIds));
        Assert.All(listener.Events, e => Assert.Equal(("removed", tenant, TemplateRemovalReason.Expired), (e.Kind, e.TenantId, e.Reason)));

        // Erased by the first read: later reads find nothing and announce nothing.
        Assert.Null(await vault.Templates.GetAsync(tenant, viaGet));
        Assert.False(await vault.Templates.MarkUsedAsync(tenant, viaExport));
        Assert.Equal(3, listener.Events.Count);
        Assert.Equal(0UL, vault.Usage.GetCounters(tenant)!.Templates);
    }

    [Fact]
    public async Task A_sweep_announces_each_tenants_expired_templates_before_it_returns()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault, compactAfterPurge: false);
        var a = (await vault.Tenants.CreateAsync("a", new Policy { TemplateRetentionDays = 10 })).TenantId;
        var b = (await vault.Tenants.CreateAsync("b", new Policy { TemplateRetentionDays = 20 })).TenantId;
        var random = new Random(1);
        var expiredA = new[] { await vault.Templates.AddAsync(a, TestVault.RandomVector(random), "m"), await vault.Templates.AddAsync(a, TestVault.RandomVector(random), "m") };
        var expiredB = await vault.Templates.AddAsync(b, TestVault.RandomVector(random), "m");
        _clock.Advance(TimeSpan.FromDays(15));
        var keptA = await vault.Templates.AddAsync(a, TestVault.RandomVector(random), "m");
        _clock.Advance(TimeSpan.FromDays(5)); // expiredA: 20 days idle (> 10); expiredB: 20 (= 20); keptA: 5
        var listener = new RecordingListener();
        using var _ = vault.AddListener(listener);
        listener.Probe = heard => heard.TemplateIds.All(id => vault.Templates.ReadSealed(heard.TenantId, id) is null);

        Assert.Equal(3, (await sweeper.SweepOnceAsync()).Templates);
        var byTenant = listener.Events.ToDictionary(e => e.TenantId);
        Assert.Equal(expiredA.Order(), byTenant[a].TemplateIds.Order());
        Assert.Equal([expiredB], byTenant[b].TemplateIds);
        Assert.All(listener.Events, e => Assert.Equal((TemplateRemovalReason.Expired, (object)true), (e.Reason!.Value, e.Probe!)));
        Assert.NotNull(vault.Templates.Export(a, keptA));

        listener.Events.Clear();
        await sweeper.SweepOnceAsync();
        Assert.Empty(listener.Events); // nothing expired, nothing announced
    }

    [Fact]
    public async Task A_tenant_deletion_is_one_announcement_made_once_the_tenant_is_unreadable()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var token = (await vault.Tokens.IssueAsync(tenant, TokenMode.Production)).Token;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var listener = new RecordingListener();
        using var _ = vault.AddListener(listener);
        listener.Probe = _ => (vault.Tenants.Get(tenant), vault.Templates.Export(tenant, id), vault.Tokens.Authenticate(token));

        Assert.True(await vault.Tenants.DeleteAsync(tenant));
        var heard = Assert.Single(listener.Events);
        Assert.Equal(("tenant-deleted", tenant), (heard.Kind, heard.TenantId));
        Assert.Equal(((Tenant?)null, (Templates.TemplateExport?)null, (TokenGrant?)null), heard.Probe);
        Assert.False(await vault.Tenants.DeleteAsync(tenant));
        Assert.Single(listener.Events);
    }

    [Fact]
    public async Task A_listener_that_throws_neither_undoes_the_change_nor_silences_the_others()
    {
        string tenant, kept, erased;
        var second = new RecordingListener();
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            using var a = vault.AddListener(new RecordingListener { Throw = new InvalidOperationException("gallery bug") });
            using var b = vault.AddListener(second);

            var add = await Assert.ThrowsAsync<VaultListenerException>(() => vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m"));
            Assert.Equal("gallery bug", add.InnerException!.Message);
            kept = add.TemplateId!; // the caller still learns what was stored
            erased = await AddQuietly(vault, tenant);
            var delete = await Assert.ThrowsAsync<VaultListenerException>(() => vault.Templates.DeleteAsync(tenant, erased));
            Assert.IsType<InvalidOperationException>(delete.InnerException);
            Assert.Equal(["stored", "stored", "removed"], second.Events.Select(e => e.Kind));
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            // Both changes were committed although the calls threw.
            Assert.NotNull(await vault.Templates.GetAsync(tenant, kept));
            Assert.Null(await vault.Templates.GetAsync(tenant, erased));
            Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Templates);
        }
    }

    [Fact]
    public async Task A_disposed_subscription_hears_nothing_more()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var listener = new RecordingListener();
        var subscription = vault.AddListener(listener);
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        subscription.Dispose();
        await vault.Templates.DeleteAsync(tenant, id);
        Assert.Equal(["stored"], listener.Events.Select(e => e.Kind));
    }

    private static async Task<string> AddQuietly(FaceMatchVault vault, string tenant)
    {
        try { return await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(2)), "m"); }
        catch (VaultListenerException ex) { return ex.TemplateId!; }
    }
}
