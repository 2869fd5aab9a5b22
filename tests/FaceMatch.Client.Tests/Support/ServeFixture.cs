using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Client.Tests.Support;

/// <summary>
/// One `facematch serve` (real models, real vault) over TLS with a certificate from a private CA, shared by every
/// end-to-end test of the client (loading the models is the slow part), and an admin client that trusts that CA.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public string AdminToken { get; } = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    public TestPki Pki { get; } = TestPki.Create();
    public ServeProcess Serve { get; private set; } = null!;
    public FaceMatchAdminClient Admin { get; private set; } = null!;
    public Uri Address => new($"https://127.0.0.1:{Serve.Port}");
    /// <summary>Good frames after which the server ends a session itself.</summary>
    public const int GoodFramesToFinish = 4;

    public async Task InitializeAsync()
    {
        Serve = ServeProcess.Start(new Dictionary<string, string>
        {
            ["FACEMATCH_ADMIN_TOKEN"] = AdminToken,
            ["FACEMATCH_TLS_CERT"] = Pki.ServerCertPath,
            ["FACEMATCH_TLS_KEY"] = Pki.ServerKeyPath,
            ["FACEMATCH_SESSION_GOOD_FRAMES"] = GoodFramesToFinish.ToString(),
        });
        await Serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        Admin = new FaceMatchAdminClient(Options(AdminToken));
    }

    /// <summary>Options for this server: its address, the private CA, and <paramref name="token"/>.</summary>
    public FaceMatchClientOptions Options(string? token, FaceMatchRetryOptions? retry = null) => new()
    {
        Address = Address,
        Token = token,
        CaCertificates = FaceMatchClientOptions.LoadCaCertificates(Pki.CaPath),
        Retry = retry ?? new FaceMatchRetryOptions(),
    };

    /// <summary>A new tenant under <paramref name="liveness"/>, and a production token of it.</summary>
    public async Task<(string TenantId, string Token)> NewTenantAsync(LivenessMode liveness = LivenessMode.Advisory)
    {
        var tenant = await Admin.CreateTenantAsync("client test " + Guid.NewGuid().ToString("N")[..8]);
        await Admin.UpdatePolicyAsync(tenant.TenantId, p => p.Liveness = liveness);
        var issued = await Admin.IssueTokenAsync(tenant.TenantId, TokenMode.Production);
        return (tenant.TenantId, issued.Token);
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        await Serve.DisposeAsync();
        Pki.Dispose();
    }
}

/// <summary>The end-to-end classes share one server; xunit runs the classes of a collection one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "facematch serve over TLS";
}
