using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMatch.Deploy.Tests.Support;

/// <summary>
/// A private CA and one certificate it issued for <c>name</c> (a DNS name only, no address), for server and client
/// authentication, as PEM text: what cert-manager writes into a TLS Secret's tls.crt, tls.key and ca.crt.
/// </summary>
public sealed class TestPki
{
    public TestPki(string name)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=facematch test store CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));

        Name = name;
        CaCertificate = ca.ExportCertificatePem() + "\n";
        Certificate = leaf.ExportCertificatePem() + "\n";
        Key = key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    public string Name { get; }
    public string CaCertificate { get; }
    public string Certificate { get; }
    public string Key { get; }

    /// <summary>A TLS Secret's item by its key (tls.crt, tls.key, ca.crt).</summary>
    public string Item(string key) => key switch
    {
        "tls.crt" => Certificate,
        "tls.key" => Key,
        "ca.crt" => CaCertificate,
        _ => throw new ArgumentException($"a TLS Secret has no item {key}"),
    };
}
