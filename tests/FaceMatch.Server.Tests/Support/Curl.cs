using System.Diagnostics;
using System.Text.Json;

namespace FaceMatch.Server.Tests.Support;

/// <summary>The real `curl` as an integrator would run it against the JSON API: the status code and the body.</summary>
public static class Curl
{
    public sealed record Response(int Status, string Body, IReadOnlyDictionary<string, string> Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    /// <param name="body">a JSON body (written to a file and sent with --data-binary), or null for none.</param>
    public static async Task<Response> RunAsync(string method, Uri url, string? token = null, string? body = null, params string[] extra)
    {
        var work = Directory.CreateTempSubdirectory("fm-curl").FullName;
        try
        {
            var headers = Path.Combine(work, "headers");
            var output = Path.Combine(work, "body");
            var args = new List<string> { "-sS", "--max-time", "60", "-X", method, "-D", headers, "-o", output, "-w", "%{http_code}" };
            if (token is not null) args.AddRange(["-H", "Authorization: Bearer " + token]);
            if (body is not null)
            {
                var file = Path.Combine(work, "request.json");
                await File.WriteAllTextAsync(file, body);
                args.AddRange(["-H", "Content-Type: application/json", "--data-binary", "@" + file]);
            }
            args.AddRange(extra);
            args.Add(url.ToString());
            using var curl = Process.Start(new ProcessStartInfo("curl", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var status = await curl.StandardOutput.ReadToEndAsync();
            var errors = await curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(curl.ExitCode == 0, $"curl {method} {url} failed ({curl.ExitCode}): {errors}");
            var headerLines = (await File.ReadAllLinesAsync(headers)).Where(l => l.Contains(':'));
            return new Response(int.Parse(status), File.Exists(output) ? await File.ReadAllTextAsync(output) : "",
                headerLines.Select(l => l.Split(':', 2)).GroupBy(p => p[0].Trim().ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Last()[1].Trim()));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
