using System.Security.Cryptography;

namespace FaceMatch.Vault.Crypto;

/// <summary>HKDF-SHA256 with a fixed label per purpose, so one secret never serves two jobs.</summary>
internal static class KeyDerivation
{
    public static byte[] Derive(ReadOnlySpan<byte> secret, string label, int length = 32)
    {
        var output = new byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, output, salt: ReadOnlySpan<byte>.Empty,
            info: System.Text.Encoding.ASCII.GetBytes("facematch/v1/" + label));
        return output;
    }
}
