using System.Collections.Concurrent;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Many_sessions_read_write_and_delete_at_once_while_compacting()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenants = new[] { (await vault.Tenants.CreateAsync("a")).TenantId, (await vault.Tenants.CreateAsync("b")).TenantId };
        var live = new ConcurrentDictionary<string, (string Tenant, int Seed)>();
        var deleted = new ConcurrentBag<(string Tenant, string Id)>();
        var errors = new ConcurrentBag<Exception>();

        async Task Worker(int worker)
        {
            var random = new Random(worker);
            var mine = new List<string>();
            for (var i = 0; i < 60; i++)
            {
                var tenant = tenants[worker % 2];
                var seed = worker * 1000 + i;
                var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(seed)), "m");
                live[id] = (tenant, seed);
                mine.Add(id);
                var probe = mine[random.Next(mine.Count)];
                if (live.ContainsKey(probe) && await vault.Templates.GetAsync(tenant, probe, markUsed: false) is null)
                    errors.Add(new Exception($"live template {probe} not readable"));
                if (i % 5 == 4 && live.TryRemove(mine[i - 2], out var gone))
                {
                    if (!await vault.Templates.DeleteAsync(gone.Tenant, mine[i - 2])) errors.Add(new Exception("delete of a live template failed"));
                    deleted.Add((gone.Tenant, mine[i - 2]));
                }
            }
        }

        var workers = Enumerable.Range(0, 12).Select(w => Task.Run(() => Worker(w))).ToList();
        var compactions = Task.Run(async () =>
        {
            for (var c = 0; c < 3; c++) await vault.CompactAsync();
        });
        await Task.WhenAll(workers.Append(compactions));

        Assert.Empty(errors);
        foreach (var (id, (tenant, seed)) in live)
        {
            var stored = await vault.Templates.GetAsync(tenant, id, markUsed: false);
            Assert.NotNull(stored);
            Assert.Equal(vault.Templates.ProtectProbe(tenant, TestVault.RandomVector(new Random(seed))), stored!.ProtectedTemplate);
        }
        foreach (var (tenant, id) in deleted) Assert.Null(await vault.Templates.GetAsync(tenant, id));
        var counted = tenants.Sum(t => (long)vault.Usage.GetCounters(t)!.Templates);
        Assert.Equal(live.Count, counted);
        Assert.Equal(live.Count, tenants.Sum(t => vault.Templates.Enumerate(t).Count()));
    }
}
