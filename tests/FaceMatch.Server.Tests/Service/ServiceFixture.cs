using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Service;

/// <summary>One `facematch serve` process (real models, real vault) shared by a test class, with an admin client.</summary>
public class ServiceFixture : IAsyncLifetime
{
    public string AdminTokenValue { get; } = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    public ServeProcess Serve { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public Admin.AdminClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var environment = new Dictionary<string, string>(ExtraEnvironment) { ["FACEMATCH_ADMIN_TOKEN"] = AdminTokenValue };
        Serve = ServeProcess.Start(environment);
        await Serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        Channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{Serve.Port}"), new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });
        Admin = new Admin.AdminClient(Channel);
    }

    /// <summary>Variables a derived fixture adds to the server's environment.</summary>
    protected virtual IReadOnlyDictionary<string, string> ExtraEnvironment => new Dictionary<string, string>();

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Serve.DisposeAsync();
    }

    public static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    public CallOptions AsAdmin(double seconds = 60) => new(Bearer(AdminTokenValue), DateTime.UtcNow.AddSeconds(seconds));

    public static CallOptions As(string token, double seconds = 60) => new(Bearer(token), DateTime.UtcNow.AddSeconds(seconds));

    /// <summary>A new tenant with the given liveness mode and one token of each mode.</summary>
    public async Task<(string TenantId, string Production, string Development)> NewTenantAsync(LivenessMode liveness)
    {
        var tenant = await Admin.CreateTenantAsync(new CreateTenantRequest { Name = "test " + Guid.NewGuid().ToString("N")[..8] }, AsAdmin());
        await Admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = liveness } }, AsAdmin());
        var prod = await Admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, AsAdmin());
        var dev = await Admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Development }, AsAdmin());
        return (tenant.TenantId, prod.Token, dev.Token);
    }

    public FaceMatch.Api.V1.FaceMatch.FaceMatchClient Client => new(Channel);

    /// <summary>../shared's labelled people with at least <paramref name="photos"/> photos, and their photos.</summary>
    public static IReadOnlyList<(string Person, string[] Photos)> People(int photos) =>
        Directory.GetDirectories(TestPaths.Faces).Where(d => !Path.GetFileName(d).StartsWith('_'))
            .Select(d => (Path.GetFileName(d), Directory.GetFiles(d).Where(f => f.EndsWith(".jpg") || f.EndsWith(".png")).Order().ToArray()))
            .Where(p => p.Item2.Length >= photos).OrderBy(p => p.Item1).ToList();
}
