using System.Diagnostics;
using FaceMatch.Tests;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// Durability: a child process writes templates under load and prints each id the vault acknowledged; it is
/// killed with SIGKILL mid-load; the reopened store must hold every acknowledged template, intact.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Every_acknowledged_write_survives_a_kill()
    {
        string tenant;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
            tenant = (await vault.Tenants.CreateAsync("crash")).TenantId;

        var acknowledged = new List<(string Id, int Seed)>();
        for (var round = 0; round < 2; round++) // the second round also crashes a store that was recovered once
            acknowledged.AddRange(await RunAndKillAsync(tenant, killAfter: 150));

        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            foreach (var (id, seed) in acknowledged)
            {
                var stored = await vault.Templates.GetAsync(tenant, id, markUsed: false);
                Assert.True(stored is not null, $"acknowledged template {id} (seed {seed}) was lost");
                var expected = vault.Templates.ProtectProbe(tenant, CrashVector(seed));
                Assert.Equal(expected, stored!.ProtectedTemplate);
            }
            Assert.True(vault.Templates.Enumerate(tenant).Count() >= acknowledged.Count);
        }
    }

    private async Task<List<(string, int)>> RunAndKillAsync(string tenant, int killAfter)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CrashHostPath());
        foreach (var arg in new[] { _dir.Path, tenant, "8", "4000" }) start.ArgumentList.Add(arg);
        start.Environment["FACEMATCH_MASTER_KEY"] = TestVault.MasterKey;

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acks = new List<(string, int)>();
        var killed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("ACK ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                acks.Add((parts[1], int.Parse(parts[2])));
            }
            if (!killed && acks.Count >= killAfter)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no flush, no dispose, no checkpoint
                killed = true;
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"the host ended before it was killed (exit {process.ExitCode}): {await stderr}");
        Assert.Equal(137, process.ExitCode); // 128 + SIGKILL
        return acks;
    }

    private static float[] CrashVector(int seed)
    {
        var random = new Random(seed);
        var v = new float[128];
        for (var i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    private static string CrashHostPath()
    {
        // Built beside this project with the same configuration (see the ProjectReference).
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var (configuration, framework) = (output.Parent!.Name, output.Name);
        var path = Path.Combine(TestPaths.RepoRoot, "tests", "FaceMatch.Vault.CrashHost", "bin", configuration, framework, "FaceMatch.Vault.CrashHost.dll");
        Assert.True(File.Exists(path), $"crash host not built at {path}");
        return path;
    }
}
