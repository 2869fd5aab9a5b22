using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using FaceMatch.Deploy.Tests.Support;
using FaceMatch.Server.Hosting;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// The FaceMatch pod's start-up, readiness and liveness probes are exec probes (they work on any Kubernetes; the
/// kubelet's gRPC probe speaks TLS only behind an alpha gate): each is the image's own `facematch health`, the real
/// published CLI, run with the container's environment against a grpc.health.v1 service over TLS with the server's
/// certificate. It must pass for SERVING only, and fail for a server that is not the one whose certificate it holds.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ProbeCommandTests
{
    private static readonly Manifests Base = new("base");

    public static TheoryData<string> Probes => new(["startup", "readiness", "liveness"]);

    private static IList<string> Command(string probe) => probe switch
    {
        "startup" => Base.Server.StartupProbe.Exec.Command,
        "readiness" => Base.Server.ReadinessProbe.Exec.Command,
        _ => Base.Server.LivenessProbe.Exec.Command,
    };

    [Theory, MemberData(nameof(Probes))]
    public void EachProbeRunsTheImagesOwnHealthCommandWithinItsTimeout(string kind)
    {
        foreach (var layout in new[] { "base", "overlays/cpu", "overlays/gpu" })
        {
            var m = new Manifests(layout);
            var probe = kind switch { "startup" => m.Server.StartupProbe, "readiness" => m.Server.ReadinessProbe, _ => m.Server.LivenessProbe };
            Assert.True(probe is { Exec: not null, Grpc: null, HttpGet: null, TcpSocket: null }, $"{layout}: the {kind} probe is not one exec command");
            var command = probe.Exec.Command;
            var dockerfile = File.ReadAllText(Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, layout.EndsWith("gpu", StringComparison.Ordinal) ? "Dockerfile.gpu" : "Dockerfile"));
            // The binary the image starts the server with (its ENTRYPOINT), asked about the whole server, on the port
            // and certificate the container's environment gives it (no --server, no --service).
            Assert.Equal(Entrypoint().Match(dockerfile).Groups[1].Value, command[0]);
            Assert.Equal("health", command[1]);
            Assert.DoesNotContain("--server", command);
            Assert.DoesNotContain("--service", command);
            var timeout = int.Parse(command[command.IndexOf("--timeout") + 1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(probe.TimeoutSeconds > timeout, $"{layout}: the kubelet gives the {kind} probe {probe.TimeoutSeconds} s, the command waits {timeout} s for its answer");
            var settings = ServerSettings.FromVariables(Manifests.AsVariables(m.ServerEnvironment()));
            Assert.True(settings.IsTls && m.ServerEnvironment().ContainsKey(ServerSettings.TlsCertVariable), $"{layout}: the probe has no certificate to pin");
        }
    }

    [Theory, MemberData(nameof(Probes))]
    public async Task TheProbeCommandPassesForServingOverTlsAndFailsOtherwise(string kind)
    {
        Assert.True(File.Exists(global::FaceMatch.Tests.TestPaths.Executable), "out/facematch is missing: run make build");
        var dir = Directory.CreateTempSubdirectory("facematch-probe-");
        try
        {
            using var serverCertificate = SelfSigned("facematch.facematch-test.svc");
            var certificateFile = Path.Combine(dir.FullName, "tls.crt");
            File.WriteAllText(certificateFile, serverCertificate.ExportCertificatePem());
            var health = new HealthServiceImpl();
            await using var server = await StartHealthServerAsync(serverCertificate, health);
            var port = new Uri(server.Urls.Single()).Port;
            // The container's environment, with this machine's port and certificate path.
            var environment = Base.ServerEnvironment();
            environment[ServerSettings.PortVariable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment[ServerSettings.TlsCertVariable] = certificateFile;

            health.SetStatus("", ServingStatus.Serving);
            var serving = await RunAsync(Command(kind), environment);
            Assert.True(serving.Exit == 0, $"SERVING: exit {serving.Exit}: {serving.Output}");
            Assert.Contains("Serving", serving.Output);

            health.SetStatus("", ServingStatus.NotServing);
            var draining = await RunAsync(Command(kind), environment);
            Assert.True(draining.Exit == 1, $"NOT_SERVING: exit {draining.Exit}: {draining.Output}");
            Assert.Contains("NotServing", draining.Output);

            // Another server's certificate in the environment: this one is not the server it trusts.
            health.SetStatus("", ServingStatus.Serving);
            using var other = SelfSigned("facematch.facematch-test.svc");
            File.WriteAllText(certificateFile, other.ExportCertificatePem());
            var impostor = await RunAsync(Command(kind), environment);
            Assert.True(impostor.Exit != 0, $"a server with another certificate passed the probe: {impostor.Output}");
            Assert.DoesNotContain("Unrecognized", impostor.Output);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static async Task<WebApplication> StartHealthServerAsync(X509Certificate2 certificate, HealthServiceImpl health)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(health);
        var app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        await app.StartAsync();
        return app;
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>The probe's command as the kubelet runs it in the container: the image's binary is out/facematch here.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(IList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(global::FaceMatch.Tests.TestPaths.Executable, command.Skip(1)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, (await output) + (await error));
    }

    [GeneratedRegex(@"^ENTRYPOINT\s+\[""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex Entrypoint();
}
