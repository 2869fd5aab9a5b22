using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>Multi-sample templates: samples added to an existing template, averaged in the protected space.</summary>
public sealed class MultiSampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Added_samples_give_the_protected_weighted_mean_and_persist()
    {
        var random = new Random(7);
        var first = TestVault.RandomVector(random);
        var second = TestVault.RandomVector(random);
        string tenant, id;
        float[] expected;
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            id = await vault.Templates.AddAsync(tenant, first, "m", sampleWeight: 3f);
            var listener = new RecordingListener();
            using var _ = vault.AddListener(listener);
            _clock.Advance(TimeSpan.FromDays(1));

            var updated = (await vault.Templates.AddSamplesAsync(tenant, id, second, "m", sampleWeight: 1f))!;
            // Protecting the weighted mean of the raw samples must give the same vector: the rotation is linear.
            expected = vault.Templates.ProtectProbe(tenant, first.Zip(second, (x, y) => (3 * x + y) / 4).ToArray());
            Assert.Equal(4f, updated.SampleWeight);
            Assert.Equal(_clock.GetUtcNow(), updated.LastUsed); // a use: retention restarts
            AssertClose(expected, updated.ProtectedTemplate);
            var heard = Assert.Single(listener.Events);
            Assert.Equal(("stored", tenant), (heard.Kind, heard.TenantId));
            Assert.Equal(updated.ProtectedTemplate, heard.Template!.ProtectedTemplate);
            Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Templates); // replaced, not added
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            var stored = (await vault.Templates.GetAsync(tenant, id, markUsed: false))!;
            Assert.Equal(4f, stored.SampleWeight);
            AssertClose(expected, stored.ProtectedTemplate);
        }
    }

    [Fact]
    public async Task Samples_for_an_id_the_vault_does_not_hold_are_refused_alike_and_unannounced()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var other = (await vault.Tenants.CreateAsync("other")).TenantId;
        var random = new Random(1);
        var deleted = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m");
        await vault.Templates.DeleteAsync(tenant, deleted);
        var others = await vault.Templates.AddAsync(other, TestVault.RandomVector(random), "m");
        var listener = new RecordingListener();
        using var _ = vault.AddListener(listener);
        var sample = TestVault.RandomVector(random);

        foreach (var id in new[] { deleted, others, OpaqueId.New().ToString(), "malformed", null })
            Assert.Null(await vault.Templates.AddSamplesAsync(tenant, id, sample, "m"));
        Assert.Empty(listener.Events);
    }

    [Fact]
    public async Task Samples_of_another_model_dimension_or_weight_are_bad_arguments()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var random = new Random(1);
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m");
        var before = (await vault.Templates.GetAsync(tenant, id, markUsed: false))!.ProtectedTemplate;

        Assert.Contains("model", (await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddSamplesAsync(tenant, id, TestVault.RandomVector(random), "other"))).Message);
        Assert.Contains("dimension", (await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddSamplesAsync(tenant, id, TestVault.RandomVector(random, 64), "m"))).Message);
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddSamplesAsync(tenant, id, TestVault.RandomVector(random), "m", 0f));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m", float.NaN));
        Assert.Equal(before, (await vault.Templates.GetAsync(tenant, id, markUsed: false))!.ProtectedTemplate);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
