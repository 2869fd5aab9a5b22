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
        var photos = Frames.People(photos: 2)[0].Photos;
        var images = (await File.ReadAllBytesAsync(photos[0]), await File.ReadAllBytesAsync(photos[1]));
        var options = new LoadOptions
        {
            Target = fixture.Address,
            Call = LoadCall.Compare,
            Token = token,
            CaCertificatePath = fixture.Pki.CaPath,
            CompareImages = images,
            Concurrency = 2,
            Requests = 6,
            Duration = TimeSpan.FromMinutes(2),
            CallTimeout = TimeSpan.FromSeconds(60),
        };

        var report = await LoadRun.RunAsync(options);
        Assert.Equal(6, report.Requests);
        Assert.Equal(0, report.Errors);
        Assert.Equal(6, report.Statuses["OK"]);
        Assert.Equal(6ul, (await fixture.Admin.GetUsageAsync(tenantId)).Compares);

        var refused = await LoadRun.RunAsync(options with { Token = "fm_" + new string('y', 43), Requests = 3 });
        Assert.Equal(3, refused.Errors);
        Assert.Equal(3, refused.Statuses["Unauthenticated"]);
        Assert.DoesNotContain(token, options.ToString());
    }

    [Fact]
    public void A_compare_run_needs_its_images_and_token()
    {
        var compare = new LoadOptions { Target = new Uri("http://127.0.0.1:50051"), Call = LoadCall.Compare, Token = "fm_t" };
        Assert.Contains("--image-a", Assert.Throws<ArgumentException>(compare.Validate).Message);
        Assert.Contains("token", Assert.Throws<ArgumentException>((compare with { Token = null, CompareImages = ([1], [1]) }).Validate).Message);
        (compare with { CompareImages = ([1], [1]) }).Validate();
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
