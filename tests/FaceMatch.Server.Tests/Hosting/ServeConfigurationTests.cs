using System.Collections;
using FaceMatch.Api.V1;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>The appsettings file, the environment over it, and a named error for every bad value.</summary>
public sealed class ServeConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HostSettings Load(Hashtable environment) => ServeConfiguration.Load(environment, "/data", "/models", _dir);

    private void WriteDefaultFile(string json) => File.WriteAllText(Path.Combine(_dir, ServeConfiguration.DefaultFileName), json);

    [Fact]
    public void Without_a_file_the_defaults_and_the_environment_apply()
    {
        var s = Load(new Hashtable { ["FACEMATCH_SESSION_MAX_FRAMES"] = "12", ["FACEMATCH_MAX_CONNECTIONS"] = "7" });
        Assert.Equal(12, s.Sessions.MaxFrames);
        Assert.Equal(new FaceMatch.Server.Sessions.SessionOptions().MaxFrameBytes, s.Sessions.MaxFrameBytes);
        Assert.Equal(7, s.Server.MaxConnections);
        Assert.Equal(64_000_000, s.DecodeBudgetPixels);
        Assert.Equal(TimeSpan.FromHours(1), s.RetentionSweepInterval);
    }

    [Fact]
    public void The_file_sets_every_section_and_the_environment_overrides_it()
    {
        WriteDefaultFile("""
            {
              "Server": { "MaxConnections": 20, "MaxCallSeconds": 90 },
              "Grpc": { "MaxConcurrentStreams": 9, "Compression": "gzip" },
              "Sessions": { "MaxFrames": 8, "GoodFramesToFinish": 3, "MinQuality": 0.4 },
              "Decoding": { "BudgetPixels": 32000000, "MaxFramePixels": 12000000 },
              "Retention": { "SweepMinutes": 15 },
              "Vision": { "MaxBatch": 4 },
              "Matching": { "GalleryStorage": "int8", "IndexThreshold": 50000 }
            }
            """);
        var s = Load(new Hashtable { ["FACEMATCH_SESSION_MAX_FRAMES"] = "11" });
        Assert.Equal(11, s.Sessions.MaxFrames);               // the environment wins
        Assert.Equal(FaceMatch.Vault.Tenants.GalleryStorage.Int8, s.Galleries.Storage);
        Assert.Equal(50_000, s.Galleries.IndexThreshold);
        Assert.Equal(3, s.Sessions.GoodFramesToFinish);
        Assert.Equal(0.4f, s.Sessions.MinQuality);
        Assert.Equal(20, s.Server.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(90), s.Server.MaxCallDuration);
        Assert.Equal(9, s.Server.MaxConcurrentStreams);
        Assert.Equal("gzip", s.Server.ResponseCompression);
        Assert.Equal(32_000_000, s.DecodeBudgetPixels);
        Assert.Equal(12_000_000, s.MaxFramePixels);
        Assert.Equal(TimeSpan.FromMinutes(15), s.RetentionSweepInterval);
        Assert.Equal(4, s.Vision.EmbedderBatching.MaxBatch);
    }

    [Theory]
    [InlineData("""{ "Sessions": { "MaxFrames": 0 } }""", "Sessions:MaxFrames in ", "FACEMATCH_SESSION_MAX_FRAMES=0 is out of range")]
    [InlineData("""{ "Sessions": { "MaxFrames": "lots" } }""", "Sessions:MaxFrames in ", "is not a whole number")]
    [InlineData("""{ "Sessions": { "MinGoodFrames": 9 } }""", "Sessions:MinGoodFrames in ", "must be 1..FACEMATCH_SESSION_GOOD_FRAMES (5)")]
    [InlineData("""{ "Grpc": { "Compression": "brotli" } }""", "Grpc:Compression in ", "is not gzip or none")]
    [InlineData("""{ "Vision": { "MatchThreshold": "high" } }""", "Vision:MatchThreshold in ", "is not a number")]
    [InlineData("""{ "Server": { "Bind": "somewhere" } }""", "Server:Bind in ", "is not an IP address")]
    [InlineData("""{ "Matching": { "GalleryStorage": "int4" } }""", "Matching:GalleryStorage in ", "FACEMATCH_GALLERY_STORAGE='int4' is not float32 or int8")]
    [InlineData("""{ "Matching": { "IndexThreshold": -5 } }""", "Matching:IndexThreshold in ", "FACEMATCH_INDEX_THRESHOLD=-5 is out of range")]
    [InlineData("""{ "Sessions": { "MaxFrame": 10 } }""", "'Sessions:MaxFrame' is not a setting", "Sessions:MaxFrames")]
    [InlineData("""{ "Server": { "Port": 1 } }""", "'Server:Port' is not a setting", "environment variables only")]
    [InlineData("""{ "Sessions": { "MaxFrames": 10 """, "is not a valid appsettings file", "appsettings.json")]
    public void A_bad_value_in_the_file_names_the_key_the_file_and_the_variable(string json, string where, string what)
    {
        WriteDefaultFile(json);
        var e = Assert.Throws<ArgumentException>(() => Load(new Hashtable()));
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void A_bad_value_in_the_environment_names_the_variable_alone()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(new Hashtable { ["FACEMATCH_SESSION_MIN_QUALITY"] = "2" }));
        Assert.StartsWith("FACEMATCH_SESSION_MIN_QUALITY=2 is out of range", e.Message);
    }

    [Fact]
    public void A_config_path_that_does_not_exist_is_an_error_but_no_default_file_is_fine()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(new Hashtable { ["FACEMATCH_CONFIG"] = "missing.json" }));
        Assert.Contains("FACEMATCH_CONFIG=missing.json: no such file", e.Message);

        File.WriteAllText(Path.Combine(_dir, "other.json"), """{ "Sessions": { "MaxFrames": 4 } }""");
        Assert.Equal(4, Load(new Hashtable { ["FACEMATCH_CONFIG"] = "other.json" }).Sessions.MaxFrames);
    }

    [Fact]
    public async Task Serve_refuses_to_start_on_a_bad_file_value_and_applies_a_good_one_to_its_sessions()
    {
        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, """{ "Sessions": { "MaxFrameBytes": 12 } }""");
        await using (var refused = ServeProcess.Start(new Dictionary<string, string> { ["FACEMATCH_CONFIG"] = bad }))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains($"Sessions:MaxFrameBytes in {bad}: FACEMATCH_SESSION_MAX_FRAME_BYTES=12 is out of range", await refused.Stderr);
        }

        var good = Path.Combine(_dir, "good.json");
        File.WriteAllText(good, """{ "Sessions": { "MaxFrames": 2 } }""");
        var admin = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        await using var serve = ServeProcess.Start(new Dictionary<string, string> { ["FACEMATCH_CONFIG"] = good, ["FACEMATCH_ADMIN_TOKEN"] = admin });
        await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{serve.Port}");
        var admins = new Admin.AdminClient(channel);
        var tenant = await admins.CreateTenantAsync(new CreateTenantRequest { Name = "config" }, ServiceFixtureAuth(admin));
        var token = (await admins.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixtureAuth(admin))).Token;

        // The session would end by itself after five good frames; the third frame is over the file's cap of two.
        var photo = File.ReadAllBytes(Service.ServiceFixture.People(photos: 2)[0].Photos[0]);
        var client = new FaceMatch.Api.V1.FaceMatch.FaceMatchClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            SessionDriver.RunAsync(client.Enroll(ServiceFixtureAuth(token)), new SessionStart(), Enumerable.Repeat(photo, 3)));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("at most 2 frames", e.Status.Detail);
    }

    private static CallOptions ServiceFixtureAuth(string token) => Service.ServiceFixture.As(token);
}
