using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMatch.Grpc.Hosting;

/// <summary>Loads a server certificate and its private key from PEM files, with a clear reason when it cannot.</summary>
public static class PemCertificateLoader
{
    public static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        if (!File.Exists(certificatePath)) throw new FileNotFoundException($"TLS certificate file not found: {certificatePath}", certificatePath);
        if (!File.Exists(keyPath)) throw new FileNotFoundException($"TLS private key file not found: {keyPath}", keyPath);
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (!certificate.HasPrivateKey)
                throw new InvalidDataException($"The key in {keyPath} does not belong to the certificate in {certificatePath}.");
            return certificate;
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"Could not load a TLS certificate from {certificatePath} and key {keyPath}: {e.Message}", e);
        }
    }
}
