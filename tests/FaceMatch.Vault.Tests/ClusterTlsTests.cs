using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Vault.Storage.Cluster;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// TLS to the store: a real redis-server serving TLS only (its certificate from a private CA made here with openssl),
/// reached with FACEMATCH_CLUSTER_TLS and the CA file; the same server's certificate from an untrusted CA is refused.
/// One standalone node: the store also runs on a single Redis without cluster mode.
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Process? _server;
    private int _port;

    public async Task InitializeAsync()
    {
        await OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=test store CA", "-keyout", Path("ca.key"), "-out", Path("ca.pem"));
        await OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=127.0.0.1", "-keyout", Path("node.key"), "-out", Path("node.csr"));
        File.WriteAllText(Path("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        await OpenSsl("x509", "-req", "-in", Path("node.csr"), "-CA", Path("ca.pem"), "-CAkey", Path("ca.key"), "-CAcreateserial",
            "-days", "2", "-extfile", Path("san.ext"), "-out", Path("node.pem"));
        await OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=another CA", "-keyout", Path("other.key"), "-out", Path("other.pem"));
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            _port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        _server = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", "0", "--tls-port", _port.ToString(), "--bind", "127.0.0.1", "--dir", _dir.Path, "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--requirepass", "tls-test-password",
             "--tls-cert-file", Path("node.pem"), "--tls-key-file", Path("node.key"), "--tls-ca-cert-file", Path("ca.pem"),
             "--tls-auth-clients", "no"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        _server.OutputDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        for (var i = 0; i < 200; i++)
        {
            using var probe = new TcpClient();
            try { await probe.ConnectAsync(IPAddress.Loopback, _port); return; }
            catch (SocketException) { await Task.Delay(25); }
        }
        throw new TimeoutException("redis-server (TLS) did not listen");
    }

    private string Path(string name) => _dir.Sub(name);

    private static async Task OpenSsl(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"openssl {arguments[0]}: {await error}");
    }

    private VaultOptions Options(string caFile, string sub) => TestVault.Options(_dir.Sub(sub)) with
    {
        Cluster = new ClusterStoreSettings
        {
            Endpoints = [$"127.0.0.1:{_port}"],
            Password = "tls-test-password",
            UseTls = true,
            CaCertificateFile = caFile,
            ReplicaAcks = 0,
            OperationTimeout = TimeSpan.FromSeconds(3),
        },
    };

    [Fact]
    public async Task The_vault_works_over_tls_to_a_node_whose_certificate_chains_to_the_configured_ca()
    {
        await using var vault = await FaceMatchVault.OpenAsync(Options(Path("ca.pem"), "a"));
        var tenant = (await vault.Tenants.CreateAsync("over tls")).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        Assert.NotNull(await vault.Templates.GetAsync(tenant, id, markUsed: false));
        Assert.Equal([id], vault.Templates.Enumerate(tenant).Select(t => t.TemplateId));
    }

    [Fact]
    public async Task A_node_certificate_from_another_ca_is_refused()
    {
        await Assert.ThrowsAsync<VaultUnavailableException>(() => FaceMatchVault.OpenAsync(Options(Path("other.pem"), "b")));
    }

    public async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        _dir.Dispose();
    }
}
