using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>
/// The store nodes' certificate check when they all carry one fixed name (<see cref="ClusterStoreSettings.TlsName"/>):
/// the TLS stack checks that name (the client's SslHost), and the chain must lead to the private CA alone. A system
/// root does not count here, or any public certificate for a name an attacker controls could pose as a node.
/// </summary>
internal static class PrivateCaCheck
{
    public static RemoteCertificateValidationCallback For(string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        if (roots.Count == 0) throw new VaultConfigurationException($"CA certificate {caFile} holds no certificate");
        return (_, certificate, presented, errors) => IssuedBy(roots, certificate, presented, errors);
    }

    private static bool IssuedBy(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        // A name mismatch or a missing certificate is final; chain errors are expected (the CA is no system root).
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));   // serverAuth
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
