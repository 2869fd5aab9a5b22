using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FaceMatch.Vault.Protection;

/// <summary>
/// Standard normal samples from a secret seed: HMAC-SHA256(seed, counter) as the uniform source, Box-Muller
/// on top. Deterministic for a seed, so a tenant's matrix is rebuilt identically on every start without being
/// stored; unpredictable without the seed.
/// </summary>
internal sealed class SeededGaussian : IDisposable
{
    private readonly HMACSHA256 _prf;
    private readonly byte[] _block = new byte[32];
    private ulong _counter;
    private int _offset = 32;
    private double? _spare;

    public SeededGaussian(ReadOnlySpan<byte> seed) => _prf = new HMACSHA256(seed.ToArray());

    public double Next()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }
        // Uniform in (0, 1]: 53 random bits, never 0 so the logarithm is finite.
        var u1 = (NextUInt64() >> 11) * (1.0 / (1UL << 53)) + 1.0 / (1UL << 54);
        var u2 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var angle = 2.0 * Math.PI * u2;
        _spare = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    private ulong NextUInt64()
    {
        if (_offset == _block.Length)
        {
            Span<byte> counter = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(counter, _counter++);
            _prf.TryComputeHash(counter, _block, out _);
            _offset = 0;
        }
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_block.AsSpan(_offset));
        _offset += 8;
        return value;
    }

    public void Dispose()
    {
        Array.Clear(_block);
        _prf.Dispose();
    }
}
