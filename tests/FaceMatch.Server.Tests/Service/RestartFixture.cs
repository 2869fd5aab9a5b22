using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// One data directory (vault, master key) served by a succession of `facematch serve` processes: a test stops the
/// current one however it likes (SIGKILL, SIGTERM) and <see cref="RestartAsync"/> starts the next on the same vault,
/// with the same admin token. Tests of a class share it, so each stop costs one process start, not two.
/// </summary>
public sealed class RestartFixture : IAsyncLifetime
{
    /// <summary>The grace period every process gets (FACEMATCH_GRPC_SHUTDOWN_SECONDS), short so a drill is quick.</summary>
    public const int ShutdownSeconds = 6;

    public string AdminTokenValue { get; } = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("fm-restart").FullName;
    public ServeProcess Serve { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public Admin.AdminClient Admin => new(Channel);
    public FaceMatch.Api.V1.FaceMatch.FaceMatchClient Client => new(Channel);
    /// <summary>How many processes have served this data directory so far.</summary>
    public int Starts { get; private set; }

    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts the next process on the data directory once the current one has exited (or kills it first).</summary>
    public async Task RestartAsync()
    {
        await StopCurrentAsync();
        await StartAsync();
    }

    private async Task StartAsync()
    {
        Serve = ServeProcess.Start(new Dictionary<string, string>
        {
            ["FACEMATCH_ADMIN_TOKEN"] = AdminTokenValue,
            ["FACEMATCH_GRPC_SHUTDOWN_SECONDS"] = ShutdownSeconds.ToString(),
        }, DataDirectory);
        Starts++;
        await Serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        Channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{Serve.Port}"), new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });
    }

    private async Task StopCurrentAsync()
    {
        Channel.Dispose();
        await Serve.DisposeAsync();
    }

    /// <summary>A new ADVISORY tenant (no duplicate check: one photo may be enrolled many times) and a production token.</summary>
    public async Task<(string TenantId, string Token)> NewTenantAsync()
    {
        var tenant = await Admin.CreateTenantAsync(new CreateTenantRequest { Name = "durable " + Guid.NewGuid().ToString("N")[..8] }, ServiceFixture.As(AdminTokenValue));
        await Admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory } }, ServiceFixture.As(AdminTokenValue));
        var token = await Admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(AdminTokenValue));
        return (tenant.TenantId, token.Token);
    }

    public async Task DisposeAsync()
    {
        await StopCurrentAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
