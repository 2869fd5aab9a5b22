using System.Diagnostics;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>`facematch health`, the containers' HEALTHCHECK, against a TLS server: it trusts only the server's own certificate.</summary>
public sealed class HealthCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> Health(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(TestPaths.Executable, ["health", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (p.ExitCode, (await output).Trim(), await error);
    }

    [Fact]
    public async Task Health_answers_serving_over_tls_with_the_servers_own_certificate_and_fails_otherwise()
    {
        var dir = Directory.CreateTempSubdirectory("fm-health");
        try
        {
            var (cert, key) = TestCertificates.WriteSelfSignedPem(dir.FullName);
            var tls = new Dictionary<string, string> { ["FACEMATCH_TLS_CERT"] = cert, ["FACEMATCH_TLS_KEY"] = key };
            await using var serve = ServeProcess.Start(tls);
            await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
            var env = new Dictionary<string, string>(tls) { ["FACEMATCH_PORT"] = serve.Port.ToString() };

            var ok = await Health(env, "--timeout", "30");
            Assert.True(ok.Exit == 0, ok.Err);
            Assert.Equal("Serving", ok.Out);

            // Another certificate in the environment: the server's is not the pinned one, so the check fails.
            var other = Directory.CreateDirectory(Path.Combine(dir.FullName, "other")).FullName;
            var (otherCert, _) = TestCertificates.WriteSelfSignedPem(other);
            var wrong = await Health(new Dictionary<string, string>(env) { ["FACEMATCH_TLS_CERT"] = otherCert });
            Assert.Equal(1, wrong.Exit);
            Assert.Contains("facematch health:", wrong.Err);
            Assert.Equal("", wrong.Out);

            var nobody = await Health(new Dictionary<string, string> { ["FACEMATCH_PORT"] = ServeProcess.FreePort().ToString() }, "--timeout", "3");
            Assert.Equal(1, nobody.Exit);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
