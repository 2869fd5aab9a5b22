using System.Runtime.InteropServices;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

public sealed class TemplateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Add_get_export_and_delete()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var raw = TestVault.RandomVector(new Random(1));
        var created = _clock.GetUtcNow();
        var id = await vault.Templates.AddAsync(tenant, raw, "mobileface-v1");
        Assert.True(OpaqueId.TryParse(id, out _));

        var stored = await vault.Templates.GetAsync(tenant, id, markUsed: false);
        Assert.NotNull(stored);
        Assert.Equal(id, stored!.TemplateId);
        Assert.Equal("mobileface-v1", stored.Model);
        Assert.Equal(created, stored.Created);
        Assert.Null(stored.Expires);

        var export = vault.Templates.Export(tenant, id)!;
        Assert.Equal(id, export.TemplateId);
        Assert.Equal(created.ToUnixTimeMilliseconds(), export.CreatedUnixMs);
        Assert.Equal(created.ToUnixTimeMilliseconds(), export.LastUsedUnixMs);
        Assert.Equal(0, export.ExpiresUnixMs);
        Assert.Equal("mobileface-v1", export.Model);
        Assert.Equal(stored.ProtectedTemplate, MemoryMarshal.Cast<byte, float>(export.Template).ToArray());
        Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Templates);

        Assert.True(await vault.Templates.DeleteAsync(tenant, id));
        Assert.Null(await vault.Templates.GetAsync(tenant, id));
        Assert.Null(vault.Templates.Export(tenant, id));
        Assert.False(await vault.Templates.DeleteAsync(tenant, id));
        Assert.Equal(0UL, vault.Usage.GetCounters(tenant)!.Templates);
    }

    [Fact]
    public async Task An_id_means_nothing_in_another_silo()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var a = (await vault.Tenants.CreateAsync("a")).TenantId;
        var b = (await vault.Tenants.CreateAsync("b")).TenantId;
        var id = await vault.Templates.AddAsync(a, TestVault.RandomVector(new Random(1)), "m");
        Assert.Null(await vault.Templates.GetAsync(b, id));
        Assert.Null(vault.Templates.Export(b, id));
        Assert.False(await vault.Templates.DeleteAsync(b, id));
        Assert.NotNull(await vault.Templates.GetAsync(a, id));
        // The store key is an HMAC of the id, not the id.
        Assert.NotNull(vault.Templates.ReadSealed(a, id));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, OpaqueId.TryParse(id, out var parsed) ? parsed.ToBytes() : []));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, System.Text.Encoding.ASCII.GetBytes(id)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Malformed_or_unknown_ids_read_as_absent(string? id)
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        Assert.Null(await vault.Templates.GetAsync(tenant, id));
        Assert.Null(vault.Templates.Export(tenant, id));
        Assert.False(await vault.Templates.DeleteAsync(tenant, id));
        Assert.Null(await vault.Templates.GetAsync("no-such-tenant", id));
    }

    [Fact]
    public async Task Bad_embeddings_and_models_are_refused_with_a_reason()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        Assert.Contains("NaN", (await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync(tenant, new[] { 1f, float.NaN }, "m"))).Message);
        Assert.Contains("2..", (await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync(tenant, new[] { 1f }, "m"))).Message);
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync(tenant, new float[5000], "m"));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync(tenant, new float[8], ""));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync("nobody", new float[8], "m"));
        Assert.Contains("2..", Assert.Throws<VaultArgumentException>(() => vault.Templates.ProtectProbe(tenant, new float[1])).Message);
    }

    [Fact]
    public async Task Use_renews_last_used_and_expiry()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme", new Tenants.Policy { TemplateRetentionDays = 10 })).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var created = _clock.GetUtcNow();
        Assert.Equal(created.AddDays(10), (await vault.Templates.GetAsync(tenant, id, markUsed: false))!.Expires);

        _clock.Advance(TimeSpan.FromDays(3));
        Assert.True(await vault.Templates.MarkUsedAsync(tenant, id));
        var used = (await vault.Templates.GetAsync(tenant, id, markUsed: false))!;
        Assert.Equal(created.AddDays(3), used.LastUsed);
        Assert.Equal(created.AddDays(13), used.Expires);
        Assert.Equal(created, used.Created);
        Assert.Equal(created.AddDays(13).ToUnixTimeMilliseconds(), vault.Templates.Export(tenant, id)!.ExpiresUnixMs);

        // Past the expiry it is gone at once, before any sweep.
        _clock.Advance(TimeSpan.FromDays(10));
        Assert.Null(await vault.Templates.GetAsync(tenant, id));
        Assert.Equal(0UL, vault.Usage.GetCounters(tenant)!.Templates);
    }

    [Fact]
    public async Task Enumerate_gives_the_gallery_in_protected_space()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var other = (await vault.Tenants.CreateAsync("other")).TenantId;
        var random = new Random(5);
        var raw = new Dictionary<string, float[]>();
        for (var i = 0; i < 50; i++)
        {
            var v = TestVault.RandomVector(random);
            raw[await vault.Templates.AddAsync(tenant, v, "m")] = v;
        }
        await vault.Templates.AddAsync(other, TestVault.RandomVector(random), "m");
        var deleted = raw.Keys.First();
        await vault.Templates.DeleteAsync(tenant, deleted);
        raw.Remove(deleted);

        var gallery = vault.Templates.Enumerate(tenant).ToList();
        Assert.Equal(raw.Keys.OrderBy(k => k), gallery.Select(g => g.TemplateId).OrderBy(k => k));
        foreach (var g in gallery)
            Assert.True(TestVault.Cosine(g.ProtectedTemplate, vault.Templates.ProtectProbe(tenant, raw[g.TemplateId])) > 1 - 1e-6);

        var all = vault.Templates.EnumerateAll().ToList();
        Assert.Equal(raw.Count + 1, all.Count);
        Assert.Single(all, t => t.TenantId == other);
        Assert.Equal(raw.Keys.OrderBy(k => k), all.Where(t => t.TenantId == tenant).Select(t => t.Template.TemplateId).OrderBy(k => k));
    }

    [Fact]
    public async Task Nothing_personal_reaches_the_disk_in_clear()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("Very Distinctive Customer Name")).TenantId;
        var raw = TestVault.RandomVector(new Random(9));
        var id = await vault.Templates.AddAsync(tenant, raw, "distinctive-model-name");
        var stored = (await vault.Templates.GetAsync(tenant, id, markUsed: false))!;
        Assert.Empty(TestVault.FilesContaining(_dir.Path, "Very Distinctive Customer Name"u8));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, "distinctive-model-name"u8));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, MemoryMarshal.AsBytes(raw.AsSpan(0, 4))));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, MemoryMarshal.AsBytes(stored.ProtectedTemplate.AsSpan(0, 4))));
        Assert.NotEmpty(TestVault.FilesContaining(_dir.Path, vault.Templates.ReadSealed(tenant, id)!));
    }
}
