using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.Tests;

/// <summary>Right to erasure: unreadable at once, and after compaction in no file of the data directory.</summary>
public sealed class ErasureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Deleted_template_ciphertext_leaves_every_file_after_compaction()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var random = new Random(11);
        var ids = new List<string>();
        for (var i = 0; i < 300; i++) ids.Add(await vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m"));
        var victim = ids[17];
        var victimCiphertext = vault.Templates.ReadSealed(tenant, victim)!;
        var survivorCiphertext = vault.Templates.ReadSealed(tenant, ids[18])!;
        Assert.NotEmpty(TestVault.FilesContaining(_dir.Path, victimCiphertext));

        Assert.True(await vault.Templates.DeleteAsync(tenant, victim));
        Assert.Null(await vault.Templates.GetAsync(tenant, victim)); // unreadable at once
        Assert.Null(vault.Templates.ReadSealed(tenant, victim));
        Assert.NotEmpty(TestVault.FilesContaining(_dir.Path, victimCiphertext)); // still on disk until compaction

        await vault.CompactAsync();

        Assert.Empty(TestVault.FilesContaining(_dir.Path, victimCiphertext));
        Assert.NotEmpty(TestVault.FilesContaining(_dir.Path, survivorCiphertext));
        Assert.Equal(299, vault.Templates.Enumerate(tenant).Count());
    }

    [Fact]
    public async Task Erasure_holds_across_restart()
    {
        byte[] victimCiphertext;
        string tenant, victim, survivor;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            victim = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
            survivor = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(2)), "m");
            victimCiphertext = vault.Templates.ReadSealed(tenant, victim)!;
            await vault.Templates.DeleteAsync(tenant, victim);
            await vault.CompactAsync();
        }
        Assert.Empty(TestVault.FilesContaining(_dir.Path, victimCiphertext));
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            Assert.Null(await vault.Templates.GetAsync(tenant, victim));
            Assert.NotNull(await vault.Templates.GetAsync(tenant, survivor));
        }
    }

    [Fact]
    public async Task Deleting_a_tenant_shreds_its_key_and_compaction_removes_everything()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var other = (await vault.Tenants.CreateAsync("other")).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var writer = vault.DevCaptures.OpenWriter(vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Development)).Token)!);
        await writer.WriteAsync(new byte[300], "png", new Dictionary<string, float>());
        var otherId = await vault.Templates.AddAsync(other, TestVault.RandomVector(new Random(2)), "m");
        OpaqueId.TryParse(tenant, out var tenantId);
        var wrappedKey = ReadRaw(vault, StoreKeys.ById(RecordType.TenantKey, tenantId));
        var templateCiphertext = vault.Templates.ReadSealed(tenant, id)!;

        Assert.True(await vault.Tenants.DeleteAsync(tenant));
        Assert.Null(vault.Keys.TryGet(tenantId)); // crypto-shredded: nothing of the tenant can be decrypted
        Assert.Empty(vault.Store.Scan(StoreKeys.TenantPrefix(RecordType.Template, tenantId)));
        Assert.Empty(vault.Store.Scan(StoreKeys.TenantPrefix(RecordType.DevCapture, tenantId)));

        await vault.CompactAsync();
        Assert.Empty(TestVault.FilesContaining(_dir.Path, wrappedKey));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, templateCiphertext));
        Assert.NotNull(await vault.Templates.GetAsync(other, otherId));
    }

    private static byte[] ReadRaw(FaceMatchVault vault, byte[] key)
    {
        Assert.True(vault.Store.TryRead(key, out var value));
        try { return value.Span.ToArray(); }
        finally { value.Release(); }
    }
}
