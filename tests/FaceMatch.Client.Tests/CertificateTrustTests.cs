using System.Net.Security;
using FaceMatch.Client.Tests.Support;

namespace FaceMatch.Client.Tests;

/// <summary>With a private CA, a server certificate is trusted for that CA's signature alone, and its name still counts.</summary>
public sealed class CertificateTrustTests : IDisposable
{
    private readonly TestPki _ours = TestPki.Create("our CA");
    private readonly TestPki _theirs = TestPki.Create("another CA");

    [Fact]
    public void A_certificate_the_ca_issued_is_trusted_though_the_system_does_not_know_the_ca() =>
        Assert.True(FaceMatchChannel.IssuedBy([_ours.Ca], _ours.Server, null, SslPolicyErrors.RemoteCertificateChainErrors));

    [Fact]
    public void A_certificate_another_ca_issued_is_not() =>
        Assert.False(FaceMatchChannel.IssuedBy([_ours.Ca], _theirs.Server, null, SslPolicyErrors.RemoteCertificateChainErrors));

    [Theory]
    [InlineData(SslPolicyErrors.RemoteCertificateNameMismatch)]
    [InlineData(SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors)]
    public void A_name_mismatch_stays_fatal(SslPolicyErrors errors) =>
        Assert.False(FaceMatchChannel.IssuedBy([_ours.Ca], _ours.Server, null, errors));

    [Fact]
    public void With_a_server_name_the_certificate_must_carry_that_name_instead_of_the_host_dialled()
    {
        // Dialled by IP: the platform reports a name mismatch, which the expected name replaces.
        const SslPolicyErrors dialledByIp = SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors;
        Assert.True(FaceMatchChannel.IssuedBy([_ours.Ca], _ours.Server, null, dialledByIp, serverName: "localhost"));
        Assert.False(FaceMatchChannel.IssuedBy([_ours.Ca], _ours.Server, null, dialledByIp, serverName: "facematch-peers.default.svc"));
        Assert.False(FaceMatchChannel.IssuedBy([_ours.Ca], _theirs.Server, null, dialledByIp, serverName: "localhost"));
    }

    [Fact]
    public void No_certificate_is_not_trusted() =>
        Assert.False(FaceMatchChannel.IssuedBy([_ours.Ca], null, null, SslPolicyErrors.RemoteCertificateNotAvailable));

    public void Dispose()
    {
        _ours.Dispose();
        _theirs.Dispose();
    }
}
