using FaceMatch.Client.Tests.Support;
using FaceMatch.Load;
using FaceMatch.Tests;

namespace FaceMatch.Client.Tests.EndToEnd;

/// <summary>What is built on the client: the load generator's Compare run and the sample program, against a real server.</summary>
[Collection(ServeCollection.Name)]
public sealed class ProgramsOnTheClientTests(ServeFixture fixture)
{
    [Fact]
    public async Task A_compare_load_run_counts_every_call_with_its_status()
    {
        var (tenantId, token) = await fixture.NewTenantAsync();
        var options = new LoadOptions
        {
            Target = fixture.Address,
            Mix = CallMix.Parse("compare=1"),
            Token = token,
            CaCertificatePath = fixture.Pki.CaPath,
            PhotosDirectory = Path.GetDirectoryName(Frames.People(photos: 2)[0].Photos[0]),
            // The metrics port serves TLS with the same certificate: the load generator trusts the private CA there too.
            MetricsUrl = new Uri($"https://127.0.0.1:{fixture.Serve.MetricsPort}/metrics"),
            Concurrency = 2,
            Requests = 6,
            Duration = TimeSpan.FromMinutes(2),
            CallTimeout = TimeSpan.FromSeconds(60),
        };

        var report = await LoadRun.RunAsync(options);
        Assert.Equal(6, report.Completed);
        Assert.Equal(0, report.Errors);
        Assert.Equal(6, report.Statuses["OK"]);
        Assert.Equal(6ul, (await fixture.Admin.GetUsageAsync(tenantId)).Compares);
        Assert.Equal(6, report.Server!.CounterDeltas["facematch_grpc_calls_total{method=\"facematch.v1.FaceMatch/Compare\",status=\"OK\"}"]);

        var refused = await LoadRun.RunAsync(options with { Token = "fm_" + new string('y', 43), Requests = 3, MetricsUrl = null });
        Assert.Equal(3, refused.Errors);
        Assert.Equal(3, refused.Statuses["UNAUTHENTICATED"]);
        Assert.DoesNotContain(token, options.ToString());
    }

    [Fact]
    public void A_compare_run_needs_its_photos_and_a_token()
    {
        var compare = new LoadOptions { Target = new Uri("http://127.0.0.1:50051"), Mix = CallMix.Parse("compare=1"), Token = "fm_t" };
        Assert.Contains("--photos", Assert.Throws<ArgumentException>(compare.Validate).Message);
        Assert.Contains("token", Assert.Throws<ArgumentException>((compare with { Token = null, PhotosDirectory = "." }).Validate).Message);
        (compare with { PhotosDirectory = "." }).Validate();
    }

    [Fact]
    public async Task The_sample_enrolls_the_first_photo_and_authenticates_the_others()
    {
        var (_, token) = await fixture.NewTenantAsync();
        var photos = Frames.People(photos: 3)[0].Photos;
        var sample = Path.Combine(TestPaths.RepoRoot, "samples", "EnrollAndAuthenticate", "bin", Cli.Configuration, "net10.0", "EnrollAndAuthenticate.dll");
        Assert.True(File.Exists(sample), $"{sample} missing");

        var run = await Cli.RunAsync(Cli.Dotnet, ["exec", sample, "--server", fixture.Address.ToString(), "--ca-cert", fixture.Pki.CaPath, Path.GetDirectoryName(photos[0])!],
            new Dictionary<string, string?> { ["FACEMATCH_TOKEN"] = token });

        Assert.True(run.Exit == 0, run.All);
        Assert.DoesNotContain(token, run.All);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("template "));
        var authenticated = lines.Count(l => l.StartsWith("authenticate "));
        Assert.True(authenticated >= photos.Length - 1, run.Out);
        Assert.Equal(authenticated, lines.Count(l => l.StartsWith("match ")));
        Assert.Contains(lines, l => l.StartsWith("match True"));
        Assert.Contains(lines, l => l.StartsWith("frame 0: face True"));
    }
}
