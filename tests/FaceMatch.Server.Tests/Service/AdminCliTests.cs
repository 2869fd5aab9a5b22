using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Api.V1;
using FaceMatch.Server.Security;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Service;

/// <summary>`facematch admin ...` (the published executable) against a running server; and the admin token's file.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AdminCliTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private async Task<(int Exit, string Out, string Err)> Cli(params string[] args)
    {
        var psi = new ProcessStartInfo(TestPaths.Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--server");
        psi.ArgumentList.Add($"http://127.0.0.1:{fixture.Serve.Port}");
        // The token file the server wrote in its data directory, as an operator on that machine would use it.
        psi.Environment["FACEMATCH_DATA"] = fixture.Serve.DataDirectory;
        psi.Environment.Remove("FACEMATCH_ADMIN_TOKEN");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (p.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Tenant_token_policy_and_usage_commands_drive_the_admin_service()
    {
        // The fixture gave the server its admin token by variable: write the file form the CLI reads.
        File.WriteAllText(AdminToken.PathIn(fixture.Serve.DataDirectory), fixture.AdminTokenValue);

        var created = await Cli("admin", "tenant", "create", "cli tenant");
        Assert.True(created.Exit == 0, created.Err);
        var tenantId = JsonDocument.Parse(created.Out).RootElement.GetProperty("tenantId").GetString()!;

        var issued = await Cli("admin", "token", "issue", "--tenant", tenantId, "--mode", "production");
        Assert.True(issued.Exit == 0, issued.Err);
        Assert.StartsWith("fm_", JsonDocument.Parse(issued.Out).RootElement.GetProperty("token").GetString());

        var set = await Cli("admin", "policy", "set", "--tenant", tenantId, "--liveness", "advisory", "--usage-retention-days", "90");
        Assert.True(set.Exit == 0, set.Err);
        var policy = JsonDocument.Parse((await Cli("admin", "policy", "get", "--tenant", tenantId)).Out).RootElement.GetProperty("policy");
        Assert.Equal("LIVENESS_MODE_ADVISORY", policy.GetProperty("liveness").GetString());
        Assert.Equal(90, policy.GetProperty("usageRetentionDays").GetInt32());

        Assert.Equal(0, (await Cli("admin", "usage", "--tenant", tenantId)).Exit);
        var badPolicy = await Cli("admin", "policy", "set", "--tenant", tenantId, "--liveness", "sometimes");
        Assert.Equal(2, badPolicy.Exit);
        Assert.Contains("not required, advisory or challenge", badPolicy.Err);
        Assert.Equal(0, (await Cli("admin", "policy", "set", "--tenant", tenantId, "--liveness", "challenge")).Exit);
        Assert.Equal("LIVENESS_MODE_CHALLENGE", JsonDocument.Parse((await Cli("admin", "policy", "get", "--tenant", tenantId)).Out).RootElement.GetProperty("policy").GetProperty("liveness").GetString());
        Assert.Contains(tenantId, (await Cli("admin", "tenant", "list")).Out);
        Assert.Equal(0, (await Cli("admin", "tenant", "delete", "--tenant", tenantId)).Exit);

        var gone = await Cli("admin", "policy", "get", "--tenant", tenantId);
        Assert.Equal(1, gone.Exit);
        Assert.Contains("NotFound", gone.Err);
    }

    [Fact]
    public async Task Duplicates_prints_each_pair_as_a_json_line_and_policy_set_changes_the_gallery_storage()
    {
        File.WriteAllText(AdminToken.PathIn(fixture.Serve.DataDirectory), fixture.AdminTokenValue);
        var tenantId = JsonDocument.Parse((await Cli("admin", "tenant", "create", "cli duplicates")).Out).RootElement.GetProperty("tenantId").GetString()!;
        var set = await Cli("admin", "policy", "set", "--tenant", tenantId, "--liveness", "advisory", "--gallery-storage", "int8");
        Assert.True(set.Exit == 0, set.Err);
        Assert.Equal("GALLERY_STORAGE_INT8", JsonDocument.Parse(set.Out).RootElement.GetProperty("policy").GetProperty("galleryStorage").GetString());
        var token = (await fixture.Admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenantId, Mode = TokenMode.Production }, fixture.AsAdmin())).Token;

        // The same photo enrolled twice is a duplicate pair (the same embedding); another person's photo is not.
        var people = ServiceFixture.People(photos: 1);
        var photo = File.ReadAllBytes(people[0].Photos[0]);
        var other = File.ReadAllBytes(people[1].Photos[0]);
        var ids = new List<string>();
        foreach (var image in new[] { photo, other, photo })
        {
            var enrolled = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart(), Enumerable.Repeat(image, 3));
            Assert.True(enrolled.Result.Enrolled, enrolled.Result.Reason);
            ids.Add(enrolled.Result.TemplateId);
        }

        var sweep = await Cli("admin", "duplicates", "--tenant", tenantId, "--threshold", "0.99", "--progress");
        Assert.True(sweep.Exit == 0, sweep.Err);
        var lines = sweep.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var pair = Assert.Single(lines, l => l.TryGetProperty("templateIdA", out _));
        Assert.Equal(ids[0], pair.GetProperty("templateIdA").GetString());
        Assert.Equal(ids[2], pair.GetProperty("templateIdB").GetString());
        Assert.True(pair.GetProperty("score").GetSingle() > 0.99f);
        var summary = lines[^1];
        Assert.True(summary.GetProperty("done").GetBoolean());
        Assert.Equal("1", summary.GetProperty("pairsFound").GetString());
        Assert.Equal("3", summary.GetProperty("templatesTotal").GetString());
        Assert.Contains("100.0%", sweep.Err);

        var unknown = await Cli("admin", "duplicates", "--tenant", "no-such-tenant");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("NotFound", unknown.Err);
        var bad = await Cli("admin", "duplicates", "--tenant", tenantId, "--threshold", "1.5");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("threshold", bad.Err);
    }

    [Fact]
    public void A_generated_admin_token_is_private_and_stable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-admin-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = AdminToken.Load(dir, fromEnvironment: null);
            var path = AdminToken.PathIn(dir);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
            var token = File.ReadAllText(path).Trim();
            Assert.True(token.Length >= 43);
            Assert.True(first.Matches(token));
            Assert.False(first.Matches(token + "x"));
            Assert.True(AdminToken.Load(dir, null).Matches(token));
            Assert.Throws<ArgumentException>(() => AdminToken.Load(dir, "short"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
