using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Vault.Storage.Cluster;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// TLS to the store: real redis-servers serving TLS only, their certificates from a private CA made here with
/// openssl. One node's certificate names its address (127.0.0.1), checked as dialled; the other's names only a fixed
/// DNS name, as one certificate shared by every node of a Kubernetes StatefulSet does, checked with
/// <see cref="ClusterStoreSettings.TlsName"/>. A certificate from another CA is refused either way, with a reason.
/// Standalone nodes: the store also runs on a single Redis without cluster mode (the Deploy tests run a TLS cluster).
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private const string FixedName = "facematch-store.tests.svc";
    private readonly TempDirectory _dir = new();
    private readonly List<Process> _servers = [];
    private int _byAddressPort, _byNamePort;

    public async Task InitializeAsync()
    {
        await OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=test store CA", "-keyout", Path("ca.key"), "-out", Path("ca.pem"));
        await IssueAsync("by-address", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1");
        await IssueAsync("by-name", $"/CN={FixedName}", $"subjectAltName=DNS:{FixedName}");
        await OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=another CA", "-keyout", Path("other.key"), "-out", Path("other.pem"));
        _byAddressPort = await StartServerAsync("by-address");
        _byNamePort = await StartServerAsync("by-name");
    }

    private async Task IssueAsync(string node, string subject, string names)
    {
        await OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", subject, "-keyout", Path($"{node}.key"), "-out", Path($"{node}.csr"));
        File.WriteAllText(Path($"{node}.ext"), names + "\n");
        await OpenSsl("x509", "-req", "-in", Path($"{node}.csr"), "-CA", Path("ca.pem"), "-CAkey", Path("ca.key"), "-CAcreateserial",
            "-days", "2", "-extfile", Path($"{node}.ext"), "-out", Path($"{node}.pem"));
    }

    private async Task<int> StartServerAsync(string node)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        Directory.CreateDirectory(Path(node + "-data"));
        var server = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", "0", "--tls-port", port.ToString(), "--bind", "127.0.0.1", "--dir", Path(node + "-data"), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--requirepass", "tls-test-password",
             "--tls-cert-file", Path($"{node}.pem"), "--tls-key-file", Path($"{node}.key"), "--tls-ca-cert-file", Path("ca.pem"),
             "--tls-auth-clients", "no"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        _servers.Add(server);
        server.OutputDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        for (var i = 0; i < 200; i++)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return port;
            }
            catch (SocketException) { await Task.Delay(25); }
        }
        throw new TimeoutException($"redis-server (TLS, {node}) did not listen");
    }

    private string Path(string name) => _dir.Sub(name);

    private static async Task OpenSsl(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"openssl {arguments[0]}: {await error}");
    }

    // A refusal is known at the first handshake; the open waits for the operation timeout before it gives up.
    private VaultOptions Options(int port, string caFile, string sub, string? tlsName = null, double timeoutSeconds = 3) => TestVault.Options(_dir.Sub(sub)) with
    {
        Cluster = new ClusterStoreSettings
        {
            Endpoints = [$"127.0.0.1:{port}"],
            Password = "tls-test-password",
            UseTls = true,
            CaCertificateFile = caFile,
            TlsName = tlsName,
            ReplicaAcks = 0,
            OperationTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        },
    };

    private static async Task UseAsync(VaultOptions options)
    {
        await using var vault = await FaceMatchVault.OpenAsync(options);
        var tenant = (await vault.Tenants.CreateAsync("over tls")).TenantId;
        var id = await vault.Templates.AddAsync(tenant, TestVault.RandomVector(new Random(1)), "m");
        Assert.NotNull(await vault.Templates.GetAsync(tenant, id, markUsed: false));
        Assert.Equal([id], vault.Templates.Enumerate(tenant).Select(t => t.TemplateId));
    }

    [Fact]
    public Task The_vault_works_over_tls_to_a_node_whose_certificate_names_its_address_and_chains_to_the_configured_ca() =>
        UseAsync(Options(_byAddressPort, Path("ca.pem"), "a"));

    [Fact]
    public Task With_the_tls_name_set_the_vault_works_with_a_node_whose_certificate_names_only_that_name() =>
        UseAsync(Options(_byNamePort, Path("ca.pem"), "b", FixedName));

    [Fact]
    public async Task Without_the_tls_name_a_certificate_that_does_not_name_the_address_dialled_is_refused()
    {
        var e = await Assert.ThrowsAsync<VaultUnavailableException>(() => FaceMatchVault.OpenAsync(Options(_byNamePort, Path("ca.pem"), "c", timeoutSeconds: 1)));
        Assert.Contains("does not carry the name the client checks", e.Message);
    }

    [Fact]
    public async Task With_the_tls_name_set_a_certificate_naming_something_else_is_refused()
    {
        var e = await Assert.ThrowsAsync<VaultUnavailableException>(() => FaceMatchVault.OpenAsync(Options(_byAddressPort, Path("ca.pem"), "d", FixedName, timeoutSeconds: 1)));
        Assert.Contains("does not carry the name the client checks", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FixedName)]
    public async Task A_node_certificate_from_another_ca_is_refused(string? tlsName)
    {
        var port = tlsName is null ? _byAddressPort : _byNamePort;
        var e = await Assert.ThrowsAsync<VaultUnavailableException>(() => FaceMatchVault.OpenAsync(Options(port, Path("other.pem"), "e" + tlsName, tlsName, timeoutSeconds: 1)));
        Assert.Contains("not issued by the configured CA", e.Message);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (!server.HasExited)
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
            server.Dispose();
        }
        _dir.Dispose();
    }
}
