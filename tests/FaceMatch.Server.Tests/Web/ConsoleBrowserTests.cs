using System.Diagnostics;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Tests;
using Microsoft.Playwright;

namespace FaceMatch.Server.Tests.Web;

/// <summary>
/// The browser console end to end: Debian's Chromium, driven by Playwright (never a downloaded browser), with a fake
/// camera playing a video that ffmpeg makes here from one of ../shared's face photos. The page enrols the face over
/// the WebSocket endpoint, drawing each frame's feedback, then authenticates it and shows the match; the compare page
/// scores two uploaded photos through the JSON API. Screenshots of the three results are kept under
/// build/test-results/console.
/// </summary>
[Collection(HttpServiceCollection.Name)]
public sealed class ConsoleBrowserTests(HttpServiceFixture fixture) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly string _work = Directory.CreateTempSubdirectory("fm-console").FullName;
    private string Video => Path.Combine(_work, "camera.y4m");
    private static string Artifacts => Path.Combine(TestPaths.RepoRoot, "build", "test-results", "console");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} missing: run scripts/install-system-packages.sh");
        // Two seconds of one photo at 10 frames/s, letterboxed to 640×480 as a webcam delivers it; Chromium loops it.
        var photo = ServiceFixture.People(photos: 2)[0].Photos[0];
        using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg",
        [
            "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", photo, "-t", "2", "-r", "10",
            "-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p",
            "-f", "yuv4mpegpipe", Video,
        ]) { RedirectStandardError = true })!;
        var errors = await ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(ffmpeg.ExitCode == 0, $"ffmpeg failed: {errors}");
        Directory.CreateDirectory(Artifacts);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_console_enrols_the_camera_face_with_live_feedback_then_authenticates_it()
    {
        var (_, _, development) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        // Playwright drives the browser it is given; it must never fetch one.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(Path.Combine(_work, "profile"), new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", $"--use-file-for-fake-video-capture={Video}",
            ],
            ViewportSize = new() { Width = 1280, Height = 900 },
            Timeout = 60_000,
        });
        var page = browser.Pages.FirstOrDefault() ?? await browser.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        var problems = new List<string>();
        // Chromium logs a send racing the server's end of a session (it closes once it has enough good frames) as
        // an error although nothing is wrong and the frame is simply dropped; every other message counts.
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning" && !m.Text.Contains("WebSocket is already in CLOSING or CLOSED state", StringComparison.Ordinal))
                problems.Add(m.Text);
        };
        page.PageError += (_, e) => problems.Add(e);

        var response = await page.GotoAsync(new Uri(fixture.HttpAddress, "console/").ToString());
        Assert.Equal(200, response!.Status);
        Assert.Contains("script-src 'self'", (await response.AllHeadersAsync())["content-security-policy"]);

        await page.FillAsync("#token", development);
        await page.ClickAsync("#camera");
        await page.WaitForFunctionAsync("() => !document.getElementById('run').disabled");

        // Enrol: per-frame feedback is drawn as the frames go, then the result names the new template.
        await page.ClickAsync("#run");
        await page.WaitForSelectorAsync("#result[data-state='done']");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "enrolled.png"), FullPage = true });
        Assert.Equal("enrolled", await page.GetAttributeAsync("#result", "data-outcome"));
        var frames = await page.Locator("#frames li").AllTextContentsAsync();
        Assert.NotEmpty(frames);
        Assert.Equal(frames.Count, await page.Locator("#frames li[data-face-found='true']").CountAsync());
        Assert.StartsWith("frame 0: face, quality", frames[0]);
        Assert.Equal("good", await page.GetAttributeAsync("#feedback", "data-state"));
        Assert.NotEqual("0.00", await page.TextContentAsync("#quality-value"));
        var templateId = await page.TextContentAsync("[data-field='template-id']");
        Assert.False(string.IsNullOrEmpty(templateId));
        Assert.Equal(templateId, await page.InputValueAsync("#template-id"));
        // The face box was drawn over the preview: the overlay has coloured pixels.
        Assert.True(await page.EvaluateAsync<bool>("""
            () => { const c = document.getElementById('overlay'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; }
            """));

        // Authenticate against the template the page just enrolled.
        await page.CheckAsync("input[name='kind'][value='authenticate']");
        await page.ClickAsync("#run");
        await page.WaitForSelectorAsync("#result[data-state='done']");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "authenticated.png"), FullPage = true });
        Assert.Equal("match", await page.GetAttributeAsync("#result", "data-outcome"));
        Assert.Equal(templateId, await page.TextContentAsync("[data-field='template-id']"));
        Assert.StartsWith("Match (score", await page.TextContentAsync("#result-summary"));

        var export = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = templateId }, ServiceFixture.As(development));
        Assert.Equal(templateId, export.TemplateId);

        // The second page: two uploaded photos compared through the JSON API, the score the gRPC call gives.
        var (_, photos) = ServiceFixture.People(photos: 2)[0];
        var grpc = await fixture.Client.CompareAsync(new CompareRequest
        {
            ImageA = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(photos[0])),
            ImageB = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(photos[1])),
        }, ServiceFixture.As(development));
        await page.ClickAsync("nav a[href='compare.html']");
        await page.FillAsync("#token", development);
        await page.SetInputFilesAsync("#photo-a", photos[0]);
        await page.SetInputFilesAsync("#photo-b", photos[1]);
        await page.ClickAsync("#compare");
        await page.WaitForSelectorAsync("#result[data-state='done']");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "compared.png"), FullPage = true });
        Assert.Equal(grpc.Match ? "match" : "no-match", await page.GetAttributeAsync("#result", "data-outcome"));
        Assert.Equal(grpc.Score.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), await page.TextContentAsync("[data-field='score']"));
        // No script error and no policy violation (Chromium reports those on the console).
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
