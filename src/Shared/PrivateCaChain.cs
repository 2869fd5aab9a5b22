using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMatch.Security;

/// <summary>
/// Whether a presented certificate chains to one of a private CA's roots for server authentication, and to nothing
/// else: the system's roots do not count. One source file compiled into both the client library and the vault
/// (they share no assembly), so peers and store nodes are checked by the same rule.
/// </summary>
internal static class PrivateCaChain
{
    public static bool Leads(X509Certificate2Collection roots, X509Certificate certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // As the platform's own TLS check: private CAs seldom publish revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));   // serverAuth
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        return chain.Build(Leaf(certificate));
    }

    public static X509Certificate2 Leaf(X509Certificate certificate) =>
        certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
}
