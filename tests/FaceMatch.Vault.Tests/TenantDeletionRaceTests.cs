using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// The two tenant-deletion races, reproduced deterministically: the store's test seams run a whole deletion
/// (its synchronous part: tombstone, shredding, cache eviction) exactly inside the window of each race. Without
/// the tombstone checks both tests fail (checked by hand against the code before the fix).
/// </summary>
public sealed class TenantDeletionRaceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_lookup_that_missed_the_cache_during_a_deletion_does_not_put_the_tenant_back()
    {
        var (tenant, token) = await CreateTenantAsync();
        await using var vault = await TestVault.OpenAsync(_dir.Path); // fresh process: the cache is cold
        OpaqueId.TryParse(tenant, out var id);
        Task<bool>? deletion = null;
        var fired = false;
        vault.Tenants.AfterCacheMissRead = missed =>
        {
            // Once only: the deletion's own lookup passes through here too.
            if (missed != id || fired) return;
            fired = true;
            deletion = vault.Tenants.DeleteAsync(tenant); // read done, cache not yet written: the window
        };

        _ = vault.Tenants.Get(tenant);
        Assert.True(await deletion!);
        vault.Tenants.AfterCacheMissRead = null;
        Assert.Null(vault.Tenants.Get(tenant));
        Assert.Null(vault.Tokens.Authenticate(token));
        Assert.DoesNotContain(vault.Tenants.List(), t => t.TenantId == tenant);
    }

    [Fact]
    public async Task SetPolicy_racing_a_deletion_does_not_rewrite_the_deleted_tenant()
    {
        var (tenant, token) = await CreateTenantAsync();
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            Task<bool>? deletion = null;
            // Get done, record not yet written: the window.
            vault.Tenants.BeforePolicyWrite = _ => deletion ??= vault.Tenants.DeleteAsync(tenant);

            Assert.Null(await vault.Tenants.SetPolicyAsync(tenant, new Policy { TemplateRetentionDays = 5 }));
            Assert.True(await deletion!);
            Assert.Null(vault.Tenants.Get(tenant));
            Assert.Null(vault.Tokens.Authenticate(token));
            Assert.DoesNotContain(vault.Tenants.List(), t => t.TenantId == tenant);
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
            Assert.Null(vault.Tenants.Get(tenant)); // and nothing of it was written back to the store
    }

    [Fact]
    public async Task Tokens_die_at_once_on_revocation_and_on_tenant_deletion_even_with_a_cold_cache()
    {
        var (tenant, token) = await CreateTenantAsync();
        string revoked;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            var issued = await vault.Tokens.IssueAsync(tenant, TokenMode.Development);
            revoked = issued.Token;
            var revocation = vault.Tokens.RevokeAsync(issued.TokenId);
            Assert.Null(vault.Tokens.Authenticate(revoked)); // before the revocation is even committed
            Assert.True(await revocation);
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            Assert.NotNull(vault.Tokens.Authenticate(token));
            Assert.Null(vault.Tokens.Authenticate(revoked));
            var deletion = vault.Tenants.DeleteAsync(tenant);
            Assert.Null(vault.Tokens.Authenticate(token)); // before the deletion's first commit completes
            Assert.True(await deletion);
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
            Assert.Null(vault.Tokens.Authenticate(token));
    }

    private async Task<(string Tenant, string Token)> CreateTenantAsync()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        return (tenant, (await vault.Tokens.IssueAsync(tenant, TokenMode.Production)).Token);
    }
}
