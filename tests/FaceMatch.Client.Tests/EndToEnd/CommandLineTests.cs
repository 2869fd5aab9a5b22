using System.Text.Json;
using FaceMatch.Client.Tests.Support;

namespace FaceMatch.Client.Tests.EndToEnd;

/// <summary>The published `facematch` through the client library: `compare --server` and `admin` over TLS with a private CA.</summary>
[Collection(ServeCollection.Name)]
public sealed class CommandLineTests(ServeFixture fixture)
{
    private string Server => fixture.Address.ToString().TrimEnd('/');

    [Fact]
    public async Task Compare_through_the_server_prints_the_offline_shape_and_the_clients_score()
    {
        var (_, token) = await fixture.NewTenantAsync();
        var person = Frames.People(photos: 2)[0].Photos;
        var other = Frames.People(photos: 2)[1].Photos;
        using var client = new FaceMatchClient(fixture.Options(token));

        foreach (var (a, b) in new[] { (person[0], person[1]), (person[0], other[0]) })
        {
            var expected = await client.CompareAsync(await File.ReadAllBytesAsync(a), await File.ReadAllBytesAsync(b));

            var remote = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token },
                "compare", a, b, "--server", Server, "--ca-cert", fixture.Pki.CaPath);
            Assert.True(remote.Exit == 0, remote.All);
            Assert.DoesNotContain(token, remote.All);
            var printed = JsonDocument.Parse(remote.Out).RootElement;
            Assert.Equal(Math.Round(expected.Score, 6), printed.GetProperty("score").GetDouble());
            Assert.Equal(expected.Match, printed.GetProperty("match").GetBoolean());
            Assert.Equal(expected.Threshold, printed.GetProperty("threshold").GetSingle());

            // Offline, the same models on this machine: the same keys, and the same score.
            var offline = await Cli.FacematchAsync(new Dictionary<string, string?>(), "compare", a, b);
            Assert.True(offline.Exit == 0, offline.All);
            var local = JsonDocument.Parse(offline.Out).RootElement;
            Assert.Equal(local.EnumerateObject().Select(p => p.Name), printed.EnumerateObject().Select(p => p.Name));
            Assert.Equal(local.GetProperty("score").GetDouble(), printed.GetProperty("score").GetDouble(), 1e-4);
            Assert.Equal(local.GetProperty("threshold").GetSingle(), printed.GetProperty("threshold").GetSingle());
        }
    }

    [Fact]
    public async Task Compare_through_the_server_reports_what_went_wrong_without_the_token()
    {
        var (_, token) = await fixture.NewTenantAsync();
        var photo = Frames.People(photos: 1)[0].Photos[0];
        var notAnImage = Path.Combine(fixture.Pki.Folder, "ca.pem");

        var withFlag = await Cli.FacematchAsync(new Dictionary<string, string?>(), "compare", photo, photo, "--server", Server, "--ca-cert", fixture.Pki.CaPath, "--token", token);
        Assert.True(withFlag.Exit == 0, withFlag.All);

        var noToken = await Cli.FacematchAsync(new Dictionary<string, string?>(), "compare", photo, photo, "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.Equal(2, noToken.Exit);
        Assert.Contains("FACEMATCH_TOKEN", noToken.Out);

        var badImage = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token },
            "compare", photo, notAnImage, "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.Equal(2, badImage.Exit);
        Assert.Contains("InvalidArgument", badImage.Out);
        Assert.DoesNotContain(token, badImage.All);

        var revoked = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = "fm_" + new string('x', 43) },
            "compare", photo, photo, "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.Equal(1, revoked.Exit);
        Assert.Contains("Unauthenticated", revoked.Out);

        var untrusted = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token }, "compare", photo, photo, "--server", Server);
        Assert.Equal(1, untrusted.Exit);
        Assert.Contains("SSL connection could not be established", untrusted.Out);
        Assert.DoesNotContain(token, untrusted.All);

        // Refused before any connection is tried.
        var remoteCleartext = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token }, "compare", photo, photo, "--server", "http://facematch.example:50051");
        Assert.Equal(2, remoteCleartext.Exit);
        Assert.Contains("--allow-plaintext", remoteCleartext.Out);

        var localModels = await Cli.FacematchAsync(new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token }, "compare", photo, photo, "--server", Server, "--flip");
        Assert.Equal(2, localModels.Exit);
        Assert.Contains("--flip", localModels.Out);
    }

    [Fact]
    public async Task Admin_commands_reach_a_tls_server_with_the_private_ca()
    {
        var admin = new Dictionary<string, string?> { ["FACEMATCH_ADMIN_TOKEN"] = fixture.AdminToken };
        var created = await Cli.FacematchAsync(admin, "admin", "tenant", "create", "cli over tls", "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.True(created.Exit == 0, created.All);
        var tenantId = JsonDocument.Parse(created.Out).RootElement.GetProperty("tenantId").GetString()!;

        var listed = await Cli.FacematchAsync(admin, "admin", "tenant", "list", "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.True(listed.Exit == 0, listed.All);
        Assert.Contains(JsonDocument.Parse(listed.Out).RootElement.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("tenantId").GetString() == tenantId);
        Assert.DoesNotContain(fixture.AdminToken, created.All + listed.All);

        var untrusted = await Cli.FacematchAsync(admin, "admin", "tenant", "list", "--server", Server);
        Assert.Equal(1, untrusted.Exit);
        Assert.Contains("SSL connection could not be established", untrusted.Err);

        var deleted = await Cli.FacematchAsync(admin, "admin", "tenant", "delete", "--tenant", tenantId, "--server", Server, "--ca-cert", fixture.Pki.CaPath);
        Assert.True(deleted.Exit == 0, deleted.All);
        Assert.True(JsonDocument.Parse(deleted.Out).RootElement.GetProperty("deleted").GetBoolean());
    }
}
