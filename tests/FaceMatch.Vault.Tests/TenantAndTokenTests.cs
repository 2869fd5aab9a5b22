using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.Tests;

public sealed class TenantAndTokenTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Tenants_and_policies_persist()
    {
        var policy = new Policy { Liveness = LivenessMode.Advisory, TemplateRetentionDays = 365, DevCaptureRetentionDays = 7, UsageRetentionDays = 730, MatchThreshold = 0.42f, LivenessThreshold = 0.7f, DuplicateCheck = true, GalleryStorage = GalleryStorage.Int8 };
        string id;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            id = (await vault.Tenants.CreateAsync("  Acme Bank  ")).TenantId;
            Assert.Equal("Acme Bank", vault.Tenants.Get(id)!.Name);
            Assert.Equal(Policy.Default, vault.Tenants.Get(id)!.Policy);
            Assert.Equal(policy, (await vault.Tenants.SetPolicyAsync(id, policy))!.Policy);
            await vault.Tenants.CreateAsync("Other");
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            var tenant = vault.Tenants.Get(id)!;
            Assert.Equal("Acme Bank", tenant.Name);
            Assert.Equal(policy, tenant.Policy);
            Assert.Equal(new[] { "Acme Bank", "Other" }, vault.Tenants.List().Select(t => t.Name));
            Assert.Null(await vault.Tenants.SetPolicyAsync("unknown", policy));
        }
    }

    [Fact]
    public async Task The_challenge_mode_is_stored_in_the_existing_record_layout()
    {
        string id;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            id = (await vault.Tenants.CreateAsync("challenged")).TenantId;
            await vault.Tenants.SetPolicyAsync(id, new Policy { Liveness = LivenessMode.Challenge, LivenessThreshold = 0.6f });
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            Assert.Equal(LivenessMode.Challenge, vault.Tenants.Get(id)!.Policy.Liveness);
            Assert.Equal(0.6f, vault.Tenants.Get(id)!.Policy.LivenessThreshold);
            // The mode is one byte holding the contract's number: 3, after REQUIRED (1) and ADVISORY (2).
            Assert.Equal(3, (int)LivenessMode.Challenge);
        }
    }

    [Fact]
    public async Task Policy_limits_are_enforced_with_a_reason()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var id = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var ex = await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tenants.SetPolicyAsync(id, new Policy { UsageRetentionDays = 731 }));
        Assert.Contains("usage_retention_days", ex.Message);
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tenants.SetPolicyAsync(id, new Policy { MatchThreshold = float.NaN }));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tenants.SetPolicyAsync(id, new Policy { Liveness = (LivenessMode)9 }));
        Assert.Contains("gallery storage", (await Assert.ThrowsAsync<VaultArgumentException>(() =>
            vault.Tenants.SetPolicyAsync(id, new Policy { GalleryStorage = (GalleryStorage)7 }))).Message);
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tenants.CreateAsync(""));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tenants.CreateAsync(new string('x', 201)));
        Assert.Equal(730u, new Policy().EffectiveUsageRetentionDays);
        Assert.Equal(30u, new Policy().EffectiveDevCaptureRetentionDays);
    }

    [Fact]
    public async Task Tokens_authenticate_to_their_tenant_and_mode_until_revoked()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var dev = await vault.Tokens.IssueAsync(tenant, TokenMode.Development);
        var prod = await vault.Tokens.IssueAsync(tenant, TokenMode.Production);

        var grant = vault.Tokens.Authenticate(dev.Token)!;
        Assert.Equal(tenant, grant.TenantId);
        Assert.Equal(dev.TokenId, grant.TokenId);
        Assert.Equal(TokenMode.Development, grant.Mode);
        Assert.Equal(TokenMode.Production, vault.Tokens.Authenticate(prod.Token)!.Mode);

        // A token with one character changed, or another token's secret, is not valid.
        var forged = dev.Token[..^1] + (dev.Token[^1] == 'A' ? 'B' : 'A');
        Assert.Null(vault.Tokens.Authenticate(forged));
        Assert.Null(vault.Tokens.Authenticate(dev.Token[..(3 + 22)] + prod.Token[(3 + 22)..]));
        Assert.Null(vault.Tokens.Authenticate(null));
        Assert.Null(vault.Tokens.Authenticate("Bearer nonsense"));

        Assert.True(await vault.Tokens.RevokeAsync(dev.TokenId));
        Assert.Null(vault.Tokens.Authenticate(dev.Token));
        Assert.True(vault.Tokens.Get(dev.TokenId)!.Revoked);
        Assert.NotNull(vault.Tokens.Authenticate(prod.Token));
        Assert.False(await vault.Tokens.RevokeAsync(OpaqueId.New().ToString()));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tokens.IssueAsync(tenant, TokenMode.Unspecified));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Tokens.IssueAsync(OpaqueId.New().ToString(), TokenMode.Production));
    }

    [Fact]
    public async Task Only_a_keyed_hash_of_the_token_is_stored()
    {
        IssuedToken token;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            token = await vault.Tokens.IssueAsync(tenant, TokenMode.Production);
        }
        var secret = token.Token[(3 + 22 + 1)..];
        Assert.Empty(TestVault.FilesContaining(_dir.Path, System.Text.Encoding.ASCII.GetBytes(secret)));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, System.Text.Encoding.ASCII.GetBytes(token.Token)));
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
            Assert.NotNull(vault.Tokens.Authenticate(token.Token)); // and it still verifies after restart
    }

    [Fact]
    public async Task Deleting_a_tenant_invalidates_its_tokens_and_data()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var keep = (await vault.Tenants.CreateAsync("keep")).TenantId;
        var token = await vault.Tokens.IssueAsync(tenant, TokenMode.Production);
        var kept = await vault.Tokens.IssueAsync(keep, TokenMode.Production);
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");

        Assert.True(await vault.Tenants.DeleteAsync(tenant));
        Assert.Null(vault.Tenants.Get(tenant));
        Assert.Null(vault.Tokens.Authenticate(token.Token));
        Assert.Null(vault.Tokens.Get(token.TokenId));
        Assert.Null(await vault.Templates.GetAsync(tenant, id));
        Assert.Null(vault.Usage.GetCounters(tenant));
        Assert.NotNull(vault.Tokens.Authenticate(kept.Token));
        Assert.False(await vault.Tenants.DeleteAsync(tenant));
    }
}
