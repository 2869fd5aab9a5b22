using System.Buffers.Binary;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tokens;

namespace FaceMatch.Vault.DevCaptures;

/// <summary>
/// The development-capture area: crops and quality metadata from development-token sessions only, sealed per
/// tenant, kept for the tenant's dev_capture_retention_days (default 30). Keys are
/// <c>[type][tenant][created ms, big-endian][capture id]</c> so expiry needs no decryption.
/// </summary>
public sealed class DevCaptureStore
{
    private const int MaxFormatLength = 16;
    private const int MaxQualityNameLength = 64;
    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly TenantStore _tenants;
    private readonly TokenStore _tokens;
    private readonly TimeProvider _clock;
    private readonly VaultOptions _options;

    internal DevCaptureStore(IRecordStore store, KeyRing keys, TenantStore tenants, TokenStore tokens, TimeProvider clock, VaultOptions options)
    {
        _store = store;
        _keys = keys;
        _tenants = tenants;
        _tokens = tokens;
        _clock = clock;
        _options = options;
    }

    /// <summary>
    /// The writer for one development session. Throws <see cref="VaultPermissionException"/> for any grant that is
    /// not a development token's, or that this vault did not issue.
    /// </summary>
    public DevCaptureWriter OpenWriter(TokenGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (!_tokens.IsOwnGrant(grant)) throw new VaultPermissionException("the grant was not issued by this vault");
        if (grant.Mode != TokenMode.Development)
            throw new VaultPermissionException("captures may be kept only for development-token sessions");
        if (!OpaqueId.TryParse(grant.TenantId, out var tenant) || _tenants.Get(tenant) is null)
            throw new VaultPermissionException("the grant's tenant no longer exists");
        return new DevCaptureWriter(this, tenant, OpaqueId.New());
    }

    internal async Task<string> WriteAsync(OpaqueId tenant, OpaqueId session, ReadOnlyMemory<byte> image, string format, IReadOnlyDictionary<string, float> quality)
    {
        if (image.Length == 0 || image.Length > _options.MaxDevCaptureBytes)
            throw new VaultArgumentException($"capture image must be 1..{_options.MaxDevCaptureBytes} bytes, got {image.Length}");
        if (string.IsNullOrEmpty(format) || format.Length > MaxFormatLength || !format.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9'))
            throw new VaultArgumentException($"capture format must be 1..{MaxFormatLength} lowercase letters or digits");
        ArgumentNullException.ThrowIfNull(quality);
        if (quality.Count > _options.MaxDevCaptureQualityValues)
            throw new VaultArgumentException($"at most {_options.MaxDevCaptureQualityValues} quality values per capture");
        foreach (var (name, value) in quality)
        {
            if (string.IsNullOrEmpty(name) || name.Length > MaxQualityNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
                throw new VaultArgumentException($"quality name '{name}' must be 1..{MaxQualityNameLength} of [A-Za-z0-9_.-]");
            if (!float.IsFinite(value)) throw new VaultArgumentException($"quality value '{name}' is not finite");
        }
        var keys = _keys.TryGet(tenant) ?? throw new VaultPermissionException("the session's tenant no longer exists");

        var id = OpaqueId.New();
        var created = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var writer = new RecordWriter(image.Length + 256).Header(RecordKind.DevCapture).Raw(id.ToBytes()).Raw(session.ToBytes())
            .I64(created).String(format).VarUInt((ulong)quality.Count);
        foreach (var (name, value) in quality.OrderBy(q => q.Key, StringComparer.Ordinal)) writer.String(name).F32(value);
        writer.Bytes(image.Span);
        var key = Key(tenant, created, id);
        _store.Upsert(key, Sealer.Seal(keys.RecordKey, key, writer.Written));
        writer.Wipe();
        await _store.CommitAsync().ConfigureAwait(false);
        return id.ToString();
    }

    /// <summary>The tenant's captures, oldest first (for export).</summary>
    public IEnumerable<DevCapture> Enumerate(string tenantId)
    {
        // Checked now, not on first iteration, so a caller learns of a bad tenant before it writes anything.
        if (!OpaqueId.TryParse(tenantId, out var tenant) || _tenants.Get(tenant) is null || _keys.TryGet(tenant) is not { } keys)
            throw new VaultArgumentException("unknown tenant");
        return EnumerateCore(tenant, keys);
    }

    private IEnumerable<DevCapture> EnumerateCore(OpaqueId tenant, TenantKeys keys)
    {
        foreach (var record in _store.Scan(StoreKeys.TenantPrefix(RecordType.DevCapture, tenant)))
            yield return Decode(Sealer.Open(keys.RecordKey, record.Key, record.Value));
    }

    /// <summary>Deletes captures created at or before <paramref name="cutoff"/>.</summary>
    internal int PurgeBefore(OpaqueId tenant, DateTimeOffset cutoff)
    {
        var limit = cutoff.ToUnixTimeMilliseconds();
        var purged = 0;
        foreach (var record in _store.Scan(StoreKeys.TenantPrefix(RecordType.DevCapture, tenant)).ToList())
        {
            if (BinaryPrimitives.ReadInt64BigEndian(StoreKeys.SuffixOf(record.Key)) > limit) continue;
            _store.Delete(record.Key);
            purged++;
        }
        return purged;
    }

    private static byte[] Key(OpaqueId tenant, long createdUnixMs, OpaqueId id)
    {
        Span<byte> suffix = stackalloc byte[8 + OpaqueId.ByteLength];
        BinaryPrimitives.WriteInt64BigEndian(suffix, createdUnixMs);
        id.WriteTo(suffix[8..]);
        return StoreKeys.Scoped(RecordType.DevCapture, tenant, suffix);
    }

    private DevCapture Decode(byte[] plaintext)
    {
        var reader = new RecordReader(plaintext);
        reader.Header(RecordKind.DevCapture);
        var id = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var session = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var created = DateTimeOffset.FromUnixTimeMilliseconds(reader.I64());
        var format = reader.String(MaxFormatLength);
        var count = reader.Length(_options.MaxDevCaptureQualityValues);
        var quality = new Dictionary<string, float>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++) quality[reader.String(MaxQualityNameLength)] = reader.F32();
        var image = reader.Bytes(_options.MaxDevCaptureBytes);
        reader.End();
        Array.Clear(plaintext);
        return new DevCapture(id.ToString(), session.ToString(), created, format, quality, image);
    }
}
