using FaceMatch.Vault.Crypto;

namespace FaceMatch.Vault.Tests;

public sealed class SealerTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
    private static readonly byte[] StoreKey = [0x10, 1, 2, 3, 4];
    private static readonly byte[] Plain = "a protected template"u8.ToArray();

    [Fact]
    public void Round_trips_and_uses_a_fresh_nonce_per_write()
    {
        var a = Sealer.Seal(Key, StoreKey, Plain);
        var b = Sealer.Seal(Key, StoreKey, Plain);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a.AsSpan(1, Sealer.NonceSize).ToArray(), b.AsSpan(1, Sealer.NonceSize).ToArray());
        Assert.Equal(Plain.Length + Sealer.Overhead, a.Length);
        Assert.Equal(Plain, Sealer.Open(Key, StoreKey, a));
        Assert.Equal(-1, a.AsSpan().IndexOf(Plain));
    }

    [Fact]
    public void Tampering_moving_or_another_key_fails_authentication()
    {
        var sealedValue = Sealer.Seal(Key, StoreKey, Plain);
        var tampered = (byte[])sealedValue.Clone();
        tampered[20] ^= 1;
        Assert.Throws<VaultIntegrityException>(() => Sealer.Open(Key, StoreKey, tampered));
        // Same bytes under another record key or tenant: the associated data differs.
        Assert.Throws<VaultIntegrityException>(() => Sealer.Open(Key, [0x10, 1, 2, 3, 5], sealedValue));
        var otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 1;
        Assert.Throws<VaultIntegrityException>(() => Sealer.Open(otherKey, StoreKey, sealedValue));
        Assert.Throws<VaultIntegrityException>(() => Sealer.Open(Key, StoreKey, sealedValue.AsSpan(0, 10)));
    }
}
