using System.Reflection;
using System.Text.Json;
using FaceMatch.Vault.DevCaptures;
using FaceMatch.Vault.Tests.Support;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.Tests;

public sealed class DevCaptureTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, float> Quality = new() { ["quality"] = 0.91f, ["liveness"] = 0.88f, ["yaw_deg"] = -3.5f };

    [Fact]
    public async Task A_production_session_cannot_obtain_a_writer()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Sub("data"), _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var prod = vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Production)).Token)!;
        var ex = Assert.Throws<VaultPermissionException>(() => vault.DevCaptures.OpenWriter(prod));
        Assert.Contains("development", ex.Message);

        // A grant from another vault (same tenant id text, development mode) is refused too.
        await using var other = await TestVault.OpenAsync(_dir.Sub("other"), _clock);
        var otherTenant = (await other.Tenants.CreateAsync("x")).TenantId;
        var foreign = other.Tokens.Authenticate((await other.Tokens.IssueAsync(otherTenant, TokenMode.Development)).Token)!;
        Assert.Throws<VaultPermissionException>(() => vault.DevCaptures.OpenWriter(foreign));

        // No other way in: the writer and the grant have no public constructors, the store no public write.
        Assert.True(typeof(DevCaptureWriter).IsSealed);
        Assert.Empty(typeof(DevCaptureWriter).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.Empty(typeof(TokenGrant).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.DoesNotContain(typeof(DevCaptureStore).GetMethods(BindingFlags.Public | BindingFlags.Instance), m => m.Name.StartsWith("Write"));
        Assert.Empty(vault.DevCaptures.Enumerate(tenant));
    }

    [Fact]
    public async Task Development_captures_are_kept_sealed_and_exported()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Sub("data"), _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var grant = vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Development)).Token)!;
        var writer = vault.DevCaptures.OpenWriter(grant);
        var crops = Enumerable.Range(0, 3).Select(i => { var b = new byte[5000 + i]; new Random(i).NextBytes(b); return b; }).ToList();
        var ids = new List<string>();
        foreach (var crop in crops) ids.Add(await writer.WriteAsync(crop, "png", Quality));

        Assert.Empty(TestVault.FilesContaining(_dir.Sub("data"), crops[0].AsSpan(0, 64)));
        var stored = vault.DevCaptures.Enumerate(tenant).ToList();
        Assert.Equal(ids.OrderBy(x => x), stored.Select(s => s.CaptureId).OrderBy(x => x));
        Assert.All(stored, s => Assert.Equal(writer.SessionId, s.SessionId));

        var outDir = _dir.Sub("export");
        Assert.Equal(3, await DevCaptureExporter.ExportAsync(vault.DevCaptures, tenant, outDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(outDir));
        var lines = File.ReadAllLines(Path.Combine(outDir, DevCaptureExporter.ManifestName));
        Assert.Equal(3, lines.Length);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            var id = json.RootElement.GetProperty("capture_id").GetString()!;
            var index = ids.IndexOf(id);
            Assert.Equal(crops[index], File.ReadAllBytes(Path.Combine(outDir, json.RootElement.GetProperty("file").GetString()!)));
            Assert.Equal(0.91f, json.RootElement.GetProperty("quality").GetProperty("quality").GetSingle());
            Assert.Equal(writer.SessionId, json.RootElement.GetProperty("session_id").GetString());
        }
    }

    [Fact]
    public async Task Bad_captures_are_refused_with_a_reason()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Sub("data"), _clock);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var writer = vault.DevCaptures.OpenWriter(vault.Tokens.Authenticate((await vault.Tokens.IssueAsync(tenant, TokenMode.Development)).Token)!);
        Assert.Contains("bytes", (await Assert.ThrowsAsync<VaultArgumentException>(() => writer.WriteAsync(new byte[64 * 1024 + 1], "png", Quality))).Message);
        await Assert.ThrowsAsync<VaultArgumentException>(() => writer.WriteAsync(Array.Empty<byte>(), "png", Quality));
        await Assert.ThrowsAsync<VaultArgumentException>(() => writer.WriteAsync(new byte[10], "../x", Quality));
        await Assert.ThrowsAsync<VaultArgumentException>(() => writer.WriteAsync(new byte[10], "png", new Dictionary<string, float> { ["q"] = float.NaN }));
        await Assert.ThrowsAsync<VaultArgumentException>(() => writer.WriteAsync(new byte[10], "png", new Dictionary<string, float> { ["bad name"] = 1 }));
    }
}
