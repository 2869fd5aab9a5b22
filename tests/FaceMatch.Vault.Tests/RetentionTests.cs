using FaceMatch.Vault.Retention;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;
using FaceMatch.Vault.Usage;

namespace FaceMatch.Vault.Tests;

public sealed class RetentionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Templates_expire_after_days_without_use()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault);
        var tenant = (await vault.Tenants.CreateAsync("acme", new Policy { TemplateRetentionDays = 30 })).TenantId;
        var forever = (await vault.Tenants.CreateAsync("forever")).TenantId;
        var idle = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        var used = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(2)), "m");
        var kept = await vault.Templates.AddAsync(forever, TestVault.RandomVector(new Random(3)), "m");
        var idleSealed = vault.Templates.ReadSealed(tenant, idle)!;

        _clock.Advance(TimeSpan.FromDays(20));
        await vault.Templates.MarkUsedAsync(tenant, used);
        Assert.Equal(0, (await sweeper.SweepOnceAsync()).Templates);

        _clock.Advance(TimeSpan.FromDays(10)); // idle: 30 days unused; used: 10
        var report = await sweeper.SweepOnceAsync();
        Assert.Equal(1, report.Templates);
        Assert.True(report.Compacted);
        Assert.Empty(TestVault.FilesContaining(_dir.Path, idleSealed));
        Assert.Null(vault.Templates.Export(tenant, idle));
        Assert.NotNull(vault.Templates.Export(tenant, used));
        Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Templates);

        _clock.Advance(TimeSpan.FromDays(3650));
        await sweeper.SweepOnceAsync();
        Assert.NotNull(vault.Templates.Export(forever, kept)); // retention 0: until deleted
        Assert.Null(vault.Templates.Export(tenant, used));
    }

    [Fact]
    public async Task Dev_captures_and_usage_records_expire_by_policy()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault, compactAfterPurge: false);
        var tenant = (await vault.Tenants.CreateAsync("acme", new Policy { UsageRetentionDays = 90 })).TenantId;
        var writer = vault.DevCaptures.OpenWriter(vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Development)).Token)!);
        var usage = new SessionUsage { Kind = SessionKind.Enroll, Started = _clock.GetUtcNow() };

        await writer.WriteAsync(new byte[100], "png", new Dictionary<string, float>());
        await vault.Usage.RecordSessionAsync(tenant, usage);
        _clock.Advance(TimeSpan.FromDays(29));
        await writer.WriteAsync(new byte[100], "png", new Dictionary<string, float>());
        await vault.Usage.RecordSessionAsync(tenant, usage with { Started = _clock.GetUtcNow() });

        _clock.Advance(TimeSpan.FromDays(1)); // first capture is 30 days old: the default retention
        var report = await sweeper.SweepOnceAsync();
        Assert.Equal(1, report.DevCaptures);
        Assert.Equal(0, report.UsageRecords);
        Assert.Single(vault.DevCaptures.Enumerate(tenant));

        _clock.Advance(TimeSpan.FromDays(60)); // first usage record is 90 days old
        report = await sweeper.SweepOnceAsync();
        Assert.Equal(1, report.UsageRecords);
        Assert.Single(vault.Usage.ListRecords(tenant));
        Assert.Equal(2UL, vault.Usage.GetCounters(tenant)!.Sessions); // billing counters are not records
    }

    [Fact]
    public async Task Usage_records_never_outlive_730_days()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault, compactAfterPurge: false);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId; // usage_retention_days 0: the maximum
        await vault.Usage.RecordSessionAsync(tenant, new SessionUsage { Kind = SessionKind.Identify, Started = _clock.GetUtcNow() });
        _clock.Advance(TimeSpan.FromDays(729));
        Assert.Equal(0, (await sweeper.SweepOnceAsync()).UsageRecords);
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await sweeper.SweepOnceAsync()).UsageRecords);
    }

    [Fact]
    public async Task Scheduled_sweeps_run_on_the_clock()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme", new Policy { TemplateRetentionDays = 1 })).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        await using var sweeper = new RetentionSweeper(vault, TimeSpan.FromHours(1), compactAfterPurge: false);
        var swept = new TaskCompletionSource<SweepReport?>(TaskCreationOptions.RunContinuationsAsynchronously);
        sweeper.Swept += (report, error) =>
        {
            if (error is not null) swept.TrySetException(error);
            else if (report!.Templates > 0) swept.TrySetResult(report);
        };
        sweeper.Start();

        // Wait (by condition, not by time) for the sweeper to arm its timer, then move the clock past expiry.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_clock.ActiveTimers == 0 && DateTime.UtcNow < deadline) await Task.Yield();
        Assert.True(_clock.ActiveTimers > 0, "the sweeper never scheduled itself");
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));

        var report = await swept.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, report!.Templates);
        Assert.Null(vault.Templates.Export(tenant, id));
    }

    [Fact]
    public async Task Leftovers_of_an_interrupted_tenant_deletion_are_purged()
    {
        string tenant, keep, kept;
        OpaqueId id;
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            keep = (await vault.Tenants.CreateAsync("keep")).TenantId;
            for (var i = 0; i < 3; i++) await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(i)), "m");
            kept = await vault.Templates.AddAsync(keep, TestVault.RandomVector(new Random(9)), "m");
            // A crash after the shredding but before the purge: only the key and tenant record are gone.
            OpaqueId.TryParse(tenant, out id);
            vault.Keys.Shred(id);
            vault.Store.Delete(Storage.StoreKeys.ById(Storage.RecordType.Tenant, id));
            await vault.Store.CommitAsync();
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            await using var sweeper = new RetentionSweeper(vault, compactAfterPurge: false);
            var report = await sweeper.SweepOnceAsync();
            Assert.Equal(3 + 1, report.Orphans); // three templates and the counters record
            Assert.Empty(vault.Store.Scan(Storage.StoreKeys.TenantPrefix(Storage.RecordType.Template, id)));
            Assert.NotNull(vault.Templates.Export(keep, kept));
            Assert.Equal(0, (await sweeper.SweepOnceAsync()).Orphans);
        }
    }
}
