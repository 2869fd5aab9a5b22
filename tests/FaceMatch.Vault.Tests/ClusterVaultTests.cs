using FaceMatch.Vault.Retention;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;
using FaceMatch.Vault.Usage;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// The vault's behaviour on the cluster backend: the same records through <see cref="Storage.Cluster.ClusterStore"/>
/// on a real loopback Redis Cluster (3 primaries, a replica each, fsync-always append-only files, WAIT 1).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterVaultTests : IDisposable
{
    private readonly ClusterFixture _fixture;
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public ClusterVaultTests(ClusterFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Templates_round_trip_and_survive_reopening_from_another_process_view()
    {
        string tenant, id;
        float[] stored;
        await using (var vault = await _fixture.OpenAsync(_dir.Path, _clock))
        {
            Assert.NotNull(vault.ClusterConnection);
            Assert.Empty(Directory.EnumerateDirectories(_dir.Path)); // no embedded store was opened
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
            stored = (await vault.Templates.GetAsync(tenant, id, markUsed: false))!.ProtectedTemplate.ToArray();
            var sample = await vault.Templates.AddSamplesAsync(tenant, id, TestVault.RandomVector(new Random(2)), "m");
            Assert.Equal(2f, sample!.SampleWeight);
            stored = sample.ProtectedTemplate.ToArray();
        }
        // A second vault over the same cluster (as another replica would be) reads what the first acknowledged.
        await using (var vault = await _fixture.OpenAsync(_dir.Sub("other"), _clock))
        {
            var again = await vault.Templates.GetAsync(tenant, id, markUsed: false);
            Assert.Equal(stored, again!.ProtectedTemplate.ToArray());
            Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Templates);
            Assert.True(await vault.Templates.DeleteAsync(tenant, id));
            Assert.Null(await vault.Templates.GetAsync(tenant, id));
            Assert.False(await vault.Templates.DeleteAsync(tenant, id));
        }
    }

    [Fact]
    public async Task Bulk_enumeration_scans_every_node_and_hands_each_record_out_once()
    {
        await using var vault = await _fixture.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("bulk")).TenantId;
        var other = (await vault.Tenants.CreateAsync("bulk-other")).TenantId;
        var random = new Random(5);
        var ids = new HashSet<string>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = 0; i < 40; i++)
            {
                var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(random.Next())), "m");
                lock (ids) ids.Add(id);
            }
        }));
        await vault.Templates.AddAsync(other, TestVault.RandomVector(random), "m");

        var listed = vault.Templates.Enumerate(tenant).Select(t => t.TemplateId).ToList();
        Assert.Equal(ids.Count, listed.Count);
        Assert.True(ids.SetEquals(listed));
        var all = vault.Templates.EnumerateAll().Where(t => t.TenantId == tenant || t.TenantId == other).ToList();
        Assert.Equal(ids.Count + 1, all.Count);
        // Spread over the primaries: the scan had to visit more than one node to find them all.
        Assert.True(vault.Store.CommitCount > 0);
    }

    [Fact]
    public async Task Tenants_policies_and_tokens_work_on_the_cluster()
    {
        await using var vault = await _fixture.OpenAsync(_dir.Path, _clock);
        var policy = new Policy { Liveness = LivenessMode.Advisory, TemplateRetentionDays = 365, MatchThreshold = 0.42f };
        var id = (await vault.Tenants.CreateAsync("Tokened")).TenantId;
        Assert.Equal(policy, (await vault.Tenants.SetPolicyAsync(id, policy))!.Policy);
        Assert.Contains(vault.Tenants.List(), t => t.TenantId == id && t.Policy == policy);

        var issued = await vault.Tokens.IssueAsync(id, TokenMode.Production);
        var grant = vault.Tokens.Authenticate(issued.Token);
        Assert.NotNull(grant);
        Assert.Equal(id, grant!.TenantId);
        Assert.Null(vault.Tokens.Authenticate(issued.Token + "x"));
        Assert.True(await vault.Tokens.RevokeAsync(issued.TokenId));
        Assert.Null(vault.Tokens.Authenticate(issued.Token));

        await using var other = await _fixture.OpenAsync(_dir.Sub("other"), _clock);
        Assert.Equal(policy, other.Tenants.Get(id)!.Policy);
    }

    [Fact]
    public async Task A_policy_change_or_tenant_deletion_on_one_server_holds_at_once_on_another()
    {
        await using var a = await _fixture.OpenAsync(_dir.Sub("a"), _clock);
        await using var b = await _fixture.OpenAsync(_dir.Sub("b"), _clock);
        var tenant = (await a.Tenants.CreateAsync("shared")).TenantId;
        var issued = await a.Tokens.IssueAsync(tenant, TokenMode.Production);
        var id = await a.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(3)), "m");
        // B has looked at everything once (a cache would keep it from here on).
        Assert.Equal(Policy.Default, b.Tenants.Get(tenant)!.Policy);
        Assert.NotNull(b.Tokens.Authenticate(issued.Token));
        Assert.NotNull(await b.Templates.GetAsync(tenant, id, markUsed: false));

        var required = new Policy { Liveness = LivenessMode.Required, MatchThreshold = 0.5f };
        await a.Tenants.SetPolicyAsync(tenant, required);
        Assert.Equal(required, b.Tenants.Get(tenant)!.Policy);

        Assert.True(await a.Tenants.DeleteAsync(tenant));
        Assert.Null(b.Tenants.Get(tenant));
        Assert.Null(b.Tokens.Authenticate(issued.Token));
        Assert.Null(await b.Templates.GetAsync(tenant, id, markUsed: false));
        Assert.Null(await b.Tenants.SetPolicyAsync(tenant, Policy.Default)); // B cannot bring the record back
        Assert.Null(a.Tenants.Get(tenant));
    }

    [Fact]
    public async Task Usage_counters_updated_at_once_by_two_servers_lose_no_update()
    {
        await using var a = await _fixture.OpenAsync(_dir.Sub("a"), _clock);
        await using var b = await _fixture.OpenAsync(_dir.Sub("b"), _clock);
        var tenant = (await a.Tenants.CreateAsync("counted")).TenantId;
        const int Workers = 4, Rounds = 15;
        // Every worker of both servers counts a compare, an enrolment session and a stored template each round, all
        // into the tenant's one counter record; the sessions' device ids are hashed with the period's key, which the
        // first of them creates.
        await Task.WhenAll(new[] { a, b }.SelectMany(vault => Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < Rounds; i++)
            {
                await vault.Usage.RecordCompareAsync(tenant);
                await vault.Usage.RecordSessionAsync(tenant, new SessionUsage
                {
                    Kind = SessionKind.Enroll, Started = _clock.GetUtcNow(), DeviceId = "device-1", Frames = 2,
                });
                await vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m");
            }
        }))));

        const ulong Calls = 2 * Workers * Rounds;
        foreach (var vault in new[] { a, b })
        {
            var counters = vault.Usage.GetCounters(tenant)!;
            Assert.Equal(Calls, counters.Compares);
            Assert.Equal(Calls, counters.Sessions);
            Assert.Equal(Calls, counters.Enrollments);
            Assert.Equal(2 * Calls, counters.Frames);
            Assert.Equal(Calls, counters.Templates);
        }
        // Both servers hashed the device with the same key.
        var hashes = a.Usage.ListRecords(tenant).Select(r => r.DeviceHash).ToList();
        Assert.Equal((int)Calls, hashes.Count);
        Assert.Single(hashes.Distinct());
    }

    [Fact]
    public async Task Erased_template_ciphertext_leaves_every_node_file_after_the_rewrite()
    {
        await using var vault = await _fixture.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("erasure")).TenantId;
        var random = new Random(11);
        var ids = new List<string>();
        for (var i = 0; i < 60; i++) ids.Add(await vault.Templates.AddAsync(tenant, TestVault.RandomVector(random), "m"));
        var victim = vault.Templates.ReadSealed(tenant, ids[17])!;
        var survivor = vault.Templates.ReadSealed(tenant, ids[18])!;
        // On the primary's and the replica's append-only files.
        Assert.True(_fixture.Cluster.FilesContaining(victim).Count >= 2);

        Assert.True(await vault.Templates.DeleteAsync(tenant, ids[17]));
        Assert.Null(await vault.Templates.GetAsync(tenant, ids[17]));
        Assert.NotEmpty(_fixture.Cluster.FilesContaining(victim)); // still in the logs until the rewrite

        await vault.CompactAsync();

        Assert.Empty(_fixture.Cluster.FilesContaining(victim));
        Assert.True(_fixture.Cluster.FilesContaining(survivor).Count >= 2);
        Assert.Equal(59, vault.Templates.Enumerate(tenant).Count());
    }

    [Fact]
    public async Task Tenant_deletion_leaves_no_ciphertext_on_any_node_after_the_rewrite()
    {
        await using var vault = await _fixture.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("doomed")).TenantId;
        var other = (await vault.Tenants.CreateAsync("kept")).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var writer = vault.DevCaptures.OpenWriter(vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Development)).Token)!);
        await writer.WriteAsync(new byte[300], "png", new Dictionary<string, float>());
        var otherId = await vault.Templates.AddAsync(other, TestVault.RandomVector(new Random(2)), "m");
        OpaqueId.TryParse(tenant, out var tenantId);
        var wrappedKey = ReadRaw(vault, StoreKeys.ById(RecordType.TenantKey, tenantId));
        var templateCiphertext = vault.Templates.ReadSealed(tenant, id)!;
        var capture = vault.Store.Scan(StoreKeys.TenantPrefix(RecordType.DevCapture, tenantId)).Single().Value;

        Assert.True(await vault.Tenants.DeleteAsync(tenant));
        Assert.Null(vault.Keys.TryGet(tenantId));
        foreach (var type in TenantStore.SiloedTypes) Assert.Empty(vault.Store.Scan(StoreKeys.TenantPrefix(type, tenantId)));

        await vault.CompactAsync();
        Assert.Empty(_fixture.Cluster.FilesContaining(wrappedKey));
        Assert.Empty(_fixture.Cluster.FilesContaining(templateCiphertext));
        Assert.Empty(_fixture.Cluster.FilesContaining(capture));
        Assert.NotNull(await vault.Templates.GetAsync(other, otherId));
    }

    [Fact]
    public async Task Retention_expires_templates_and_compacts_the_nodes()
    {
        await using var vault = await _fixture.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault);
        var tenant = (await vault.Tenants.CreateAsync("retained", new Policy { TemplateRetentionDays = 30 })).TenantId;
        var idle = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var used = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(2)), "m");
        var idleSealed = vault.Templates.ReadSealed(tenant, idle)!;

        _clock.Advance(TimeSpan.FromDays(20));
        await vault.Templates.MarkUsedAsync(tenant, used);
        _clock.Advance(TimeSpan.FromDays(10));
        var report = await sweeper.SweepOnceAsync();
        Assert.True(report.Templates >= 1);
        Assert.True(report.Compacted);
        Assert.Empty(_fixture.Cluster.FilesContaining(idleSealed));
        Assert.Null(vault.Templates.Export(tenant, idle));
        Assert.NotNull(vault.Templates.Export(tenant, used));
    }

    [Fact]
    public async Task A_write_no_replica_confirms_is_not_acknowledged()
    {
        // The cluster's key-check record, written (and confirmed) by an ordinary vault first.
        await using (await _fixture.OpenAsync(_dir.Sub("first"))) { }
        // Every primary has one replica: asking for two confirmations can never be met, so no write may be acknowledged.
        var options = TestVault.Options(_dir.Path) with { Cluster = _fixture.Settings() with { ReplicaAcks = 2, ReplicaAckTimeout = TimeSpan.FromMilliseconds(200) } };
        await using var vault = await FaceMatchVault.OpenAsync(options);
        var e = await Assert.ThrowsAsync<VaultUnavailableException>(() => vault.Tenants.CreateAsync("unconfirmed"));
        Assert.Contains("replica", e.Message);
    }

    [Fact]
    public async Task A_wrong_master_key_is_refused_by_the_cluster_key_check()
    {
        await using (await _fixture.OpenAsync(_dir.Path)) { }
        var wrong = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        var options = TestVault.Options(_dir.Path, masterKey: wrong) with { Cluster = _fixture.Settings() };
        await Assert.ThrowsAsync<VaultConfigurationException>(() => FaceMatchVault.OpenAsync(options));
    }

    private static byte[] ReadRaw(FaceMatchVault vault, byte[] key)
    {
        Assert.True(vault.Store.TryRead(key, out var value));
        try { return value.Span.ToArray(); }
        finally { value.Release(); }
    }
}
