namespace FaceMatch.Vault.Storage;

/// <summary>
/// Serialises read-modify-write of one record (touch, delete, expiry) without a lock per key: keys hash onto a
/// fixed set of lock objects. Held only around synchronous store calls, never across an await.
/// </summary>
internal sealed class StripedLock
{
    private readonly object[] _stripes;

    public StripedLock(int stripes = 256)
    {
        _stripes = new object[stripes];
        for (var i = 0; i < stripes; i++) _stripes[i] = new object();
    }

    public object For(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return _stripes[(uint)hash.ToHashCode() % (uint)_stripes.Length];
    }
}
