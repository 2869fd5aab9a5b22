using FaceMatch.Api.V1;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Admission;

/// <summary>A real server with a per-tenant cap of one session: the second is shed with a retry hint, others are not.</summary>
public sealed class AdmissionServiceTests
{
    [Fact]
    public async Task A_tenant_at_its_session_cap_is_refused_with_a_retry_hint_while_other_tenants_go_on()
    {
        var adminToken = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        await using var serve = ServeProcess.Start(new Dictionary<string, string>
        {
            ["FACEMATCH_ADMIN_TOKEN"] = adminToken,
            [AdmissionOptions.MaxTenantSessionsVariable] = "1",
        });
        await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{serve.Port}");
        var admin = new Admin.AdminClient(channel);
        async Task<string> TokenAsync()
        {
            var tenant = await admin.CreateTenantAsync(new CreateTenantRequest { Name = "admission" }, ServiceFixture.As(adminToken));
            await admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory } }, ServiceFixture.As(adminToken));
            return (await admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(adminToken))).Token;
        }
        var first = await TokenAsync();
        var second = await TokenAsync();
        var client = new FaceMatch.Api.V1.FaceMatch.FaceMatchClient(channel);
        var photo = File.ReadAllBytes(ServiceFixture.People(photos: 2)[0].Photos[0]);

        // One session of the first tenant, admitted (its first frame answered) and then held open.
        using var held = client.Enroll(ServiceFixture.As(first));
        await held.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
        await held.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = Google.Protobuf.ByteString.CopyFrom(photo), CaptureTimeMs = 1 } });
        Assert.True(await held.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SessionEvent.KindOneofCase.Feedback, held.ResponseStream.Current.KindCase);
        var refused = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(first)), new SessionStart(), [photo]));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("this tenant is at its limit of 1 concurrent sessions", refused.Status.Detail);
        Assert.True(long.Parse(refused.Trailers.GetValue(Overload.PushbackTrailer)!) > 0);

        // Another tenant is not held up by the first one's cap.
        var other = await SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(second)), new SessionStart(), [photo]);
        Assert.Equal("", other.Result.Reason);

        // Once the held session ends, its tenant may start again.
        await held.RequestStream.CompleteAsync();
        while (await held.ResponseStream.MoveNext(CancellationToken.None)) { }
        var again = await SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(first)), new SessionStart(), [photo]);
        Assert.Equal("", again.Result.Reason);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{serve.MetricsPort}/metrics");
        Assert.Contains("facematch_admission_refused_total{reason=\"tenant_sessions\"}", metrics);
    }
}
