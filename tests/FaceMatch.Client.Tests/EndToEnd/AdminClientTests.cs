using FaceMatch.Api.V1;
using FaceMatch.Client.Tests.Support;
using Grpc.Core;

namespace FaceMatch.Client.Tests.EndToEnd;

/// <summary><see cref="FaceMatchAdminClient"/> against a real `facematch serve`: a tenant's whole life.</summary>
[Collection(ServeCollection.Name)]
public sealed class AdminClientTests(ServeFixture fixture)
{
    [Fact]
    public async Task A_tenant_from_creation_through_tokens_policy_and_usage_to_deletion()
    {
        var admin = fixture.Admin;
        var name = "lifecycle " + Guid.NewGuid().ToString("N")[..8];
        var tenant = await admin.CreateTenantAsync(name);
        Assert.Equal(name, tenant.Name);
        Assert.Contains(await admin.ListTenantsAsync(), t => t.TenantId == tenant.TenantId && t.Name == name);

        var before = (await admin.GetPolicyAsync(tenant.TenantId)).Policy;
        var updated = await admin.UpdatePolicyAsync(tenant.TenantId, p =>
        {
            p.Liveness = LivenessMode.Advisory;
            p.TemplateRetentionDays = 30;
        });
        Assert.Equal(LivenessMode.Advisory, updated.Policy.Liveness);
        Assert.Equal(30u, updated.Policy.TemplateRetentionDays);
        // The fields the change left alone keep their values.
        Assert.Equal(before.UsageRetentionDays, updated.Policy.UsageRetentionDays);
        Assert.Equal(before.MatchThreshold, updated.Policy.MatchThreshold);
        Assert.Equal(updated.Policy, (await admin.GetPolicyAsync(tenant.TenantId)).Policy);
        var replaced = await admin.SetPolicyAsync(tenant.TenantId, new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.9f });
        Assert.Equal(0u, replaced.Policy.TemplateRetentionDays);
        Assert.Equal(0.9f, replaced.Policy.MatchThreshold);

        var production = await admin.IssueTokenAsync(tenant.TenantId, TokenMode.Production);
        var development = await admin.IssueTokenAsync(tenant.TenantId, TokenMode.Development);
        Assert.Equal(TokenMode.Production, production.Mode);
        Assert.Equal(TokenMode.Development, development.Mode);
        Assert.NotEqual(production.Token, development.Token);

        var photo = await File.ReadAllBytesAsync(Frames.People(photos: 1)[0].Photos[0]);
        using (var client = new FaceMatchClient(fixture.Options(production.Token)))
        {
            var compared = await client.CompareAsync(photo, photo);
            Assert.Equal(0.9f, compared.Threshold);
            Assert.True(compared.Match);
        }
        Assert.Equal(1ul, (await admin.GetUsageAsync(tenant.TenantId)).Compares);

        Assert.True(await admin.RevokeTokenAsync(production.TokenId));
        // Revoking is idempotent; an id no token has is false.
        Assert.True(await admin.RevokeTokenAsync(production.TokenId));
        Assert.False(await admin.RevokeTokenAsync(new string('A', 22)));
        using (var revoked = new FaceMatchClient(fixture.Options(production.Token)))
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => revoked.CompareAsync(photo, photo))).StatusCode);

        Assert.True(await admin.DeleteTenantAsync(tenant.TenantId));
        Assert.False(await admin.DeleteTenantAsync(tenant.TenantId));
        Assert.DoesNotContain(await admin.ListTenantsAsync(), t => t.TenantId == tenant.TenantId);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => admin.GetPolicyAsync(tenant.TenantId))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => admin.IssueTokenAsync(tenant.TenantId, TokenMode.Production))).StatusCode);
        using (var orphan = new FaceMatchClient(fixture.Options(development.Token)))
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => orphan.CompareAsync(photo, photo))).StatusCode);
    }

    [Fact]
    public async Task A_wrong_admin_token_is_unauthenticated()
    {
        using var admin = new FaceMatchAdminClient(fixture.Options("fm_not_the_admin_token"));
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => admin.ListTenantsAsync())).StatusCode);
    }
}
