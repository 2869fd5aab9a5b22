using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// Development-token sessions keep their aligned crops for model improvement, production ones nothing; the crops
/// come back out with `facematch devdata export` once the server has stopped (the vault is single-process).
/// This class has its own server, which it stops.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SessionCaptureTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task Development_sessions_keep_exportable_aligned_crops_and_production_sessions_keep_none()
    {
        var person = ServiceFixture.People(photos: 2)[0];
        var frames = person.Photos.Take(2).Select(File.ReadAllBytes).ToList();
        var (devTenant, _, devToken) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (prodTenant, prodToken, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);

        var dev = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(devToken)), new SessionStart(), frames);
        var prod = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(prodToken)), new SessionStart(), frames);
        Assert.Equal("", dev.Result.Reason);
        Assert.Equal("", prod.Result.Reason);

        await fixture.Serve.SignalAsync("TERM");
        Assert.Equal(0, await fixture.Serve.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        var devExport = await ExportAsync(devTenant);
        var lines = File.ReadAllLines(Path.Combine(devExport, "captures.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(dev.Feedback.Count(f => f.FaceFound), lines.Count);
        Assert.Single(lines.Select(l => l.GetProperty("session_id").GetString()).Distinct());
        var decoder = new ImageDecoder(new ImageDecodeOptions());
        foreach (var line in lines)
        {
            var quality = line.GetProperty("quality");
            var index = (int)quality.GetProperty("frame_index").GetSingle();
            Assert.Equal(dev.Feedback[index].Quality, quality.GetProperty("quality").GetSingle(), 4);
            using var crop = decoder.Decode(File.ReadAllBytes(Path.Combine(devExport, line.GetProperty("file").GetString()!)), new DecodeTarget());
            // An aligned crop: the embedder's small square, not the submitted photo.
            Assert.True(crop.Width <= 160 && crop.Width == crop.Height, $"{crop.Width}x{crop.Height}");
            Assert.True(ImageStatistics.Measure(crop).LaplacianVariance > 0, "a blank crop");
        }

        var prodExport = await ExportAsync(prodTenant);
        Assert.Empty(File.ReadAllLines(Path.Combine(prodExport, "captures.jsonl")));
        Assert.Single(Directory.GetFiles(prodExport));
    }

    private async Task<string> ExportAsync(string tenantId)
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("fm-devdata").FullName, "export");
        var psi = new ProcessStartInfo(TestPaths.Executable, ["devdata", "export", "--tenant", tenantId, "--out", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["FACEMATCH_DATA"] = fixture.Serve.DataDirectory },
        };
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, await error + await stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(output));
        return output;
    }
}
