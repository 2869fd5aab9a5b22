using System.Net;
using FaceMatch.Vault.Retention;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Usage;

namespace FaceMatch.Vault.Tests;

public sealed class UsageTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::/48")]
    public void Addresses_are_cut_to_their_network(string address, string expected) =>
        Assert.Equal(expected, NetworkPrefix.Of(IPAddress.Parse(address)));

    private SessionUsage Session(SessionKind kind, string device = "device-1234-ABCD", uint frames = 5) => new()
    {
        Kind = kind,
        Started = _clock.GetUtcNow(),
        Duration = TimeSpan.FromMilliseconds(1234),
        ClientAddress = IPAddress.Parse("203.0.113.77"),
        DeviceId = device,
        SdkVersion = "sdk-2.1.0",
        OsVersion = "Android 15",
        DeviceModel = "Pixel 9",
        Outcome = "no_match",
        Frames = frames,
    };

    [Fact]
    public async Task Session_records_are_anonymised_and_counters_count()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Enroll));
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate));
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate, "another-device"));
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Identify, frames: 7));
        await vault.Usage.RecordCompareAsync(tenant);
        await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");

        var counters = vault.Usage.GetCounters(tenant)!;
        Assert.Equal(new UsageCounters { Sessions = 4, Enrollments = 1, Authentications = 2, Identifications = 1, Compares = 1, Frames = 22, Templates = 1 }, counters);

        var records = vault.Usage.ListRecords(tenant);
        Assert.Equal(4, records.Count);
        var r = records[0];
        Assert.Equal("203.0.113.0/24", r.NetworkPrefix);
        Assert.Equal(32, r.DeviceHash.Length);
        Assert.Equal(records[0].DeviceHash, records[1].DeviceHash); // same device, same period: countable
        Assert.NotEqual(records[1].DeviceHash, records[2].DeviceHash);
        Assert.Equal(("sdk-2.1.0", "Android 15", "Pixel 9", "no_match"), (r.SdkVersion, r.OsVersion, r.DeviceModel, r.Outcome));
        Assert.Equal(TimeSpan.FromMilliseconds(1234), r.Duration);

        // The raw device id and address never reach the disk, even encrypted records aside.
        Assert.Empty(TestVault.FilesContaining(_dir.Path, "device-1234-ABCD"u8));
        Assert.Empty(TestVault.FilesContaining(_dir.Path, "203.0.113.77"u8));
        Assert.DoesNotContain(records, x => x.DeviceHash.Contains("device"));
    }

    [Fact]
    public async Task Counters_survive_restart()
    {
        string tenant;
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            for (var i = 0; i < 5; i++) await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate));
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            Assert.Equal(5UL, vault.Usage.GetCounters(tenant)!.Authentications);
            Assert.Equal(0UL, vault.Usage.GetCounters(tenant)!.DuplicateSweeps);
            await vault.Usage.RecordDuplicateSweepAsync(tenant);
            await vault.Usage.RecordDuplicateSweepAsync(tenant);
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path, _clock))
        {
            Assert.Equal(2UL, vault.Usage.GetCounters(tenant)!.DuplicateSweeps);
            await vault.Usage.RecordCompareAsync(tenant);
            Assert.Equal(5UL, vault.Usage.GetCounters(tenant)!.Sessions);
            Assert.Equal(1UL, vault.Usage.GetCounters(tenant)!.Compares);
        }
    }

    [Fact]
    public async Task Device_hash_key_rotates_and_past_keys_are_destroyed()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        await using var sweeper = new RetentionSweeper(vault, compactAfterPurge: false);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate));
        _clock.Advance(TimeSpan.FromDays(vault.Options.DeviceKeyRotationDays));
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate));
        var records = vault.Usage.ListRecords(tenant);
        Assert.NotEqual(records[0].DeviceHash, records[1].DeviceHash); // unlinkable across periods

        var report = await sweeper.SweepOnceAsync();
        Assert.Equal(1, report.DeviceKeys);
        Assert.Equal(0, (await sweeper.SweepOnceAsync()).DeviceKeys);
        await vault.Usage.RecordSessionAsync(tenant, Session(SessionKind.Authenticate));
        Assert.Equal(vault.Usage.ListRecords(tenant)[1].DeviceHash, vault.Usage.ListRecords(tenant)[2].DeviceHash);
    }

    [Fact]
    public async Task Unknown_tenants_and_kinds_are_refused()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path, _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Usage.RecordSessionAsync("nobody", Session(SessionKind.Enroll)));
        await Assert.ThrowsAsync<VaultArgumentException>(() => vault.Usage.RecordSessionAsync(tenant, Session((SessionKind)77)));
        Assert.Null(vault.Usage.GetCounters("nobody"));
    }
}
