using System.Security.Cryptography;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;

namespace FaceMatch.Vault.Tokens;

/// <summary>Token mode (facematch.v1.TokenMode; same numbers).</summary>
public enum TokenMode : byte
{
    Unspecified = 0,
    /// <summary>Customers' test apps: captures may be kept for model improvement.</summary>
    Development = 1,
    /// <summary>Real end users: nothing kept beyond the enrolled template.</summary>
    Production = 2,
}

/// <summary>A freshly issued token. <see cref="Token"/> is shown once and never stored.</summary>
public sealed record IssuedToken(string Token, string TokenId, TokenMode Mode);

/// <summary>What the store keeps about a token: never the token, only its keyed hash.</summary>
public sealed record TokenInfo(string TokenId, string TenantId, TokenMode Mode, bool Revoked, DateTimeOffset Created);

/// <summary>
/// Proof that a caller presented a valid, unrevoked token: its tenant and mode. Only <see cref="TokenStore"/>
/// creates one, so a session's mode is what the stored token says, never what a caller claims.
/// </summary>
public sealed class TokenGrant
{
    internal TokenGrant(string tenantId, string tokenId, TokenMode mode, object issuer)
    {
        TenantId = tenantId;
        TokenId = tokenId;
        Mode = mode;
        Issuer = issuer;
    }

    public string TenantId { get; }
    public string TokenId { get; }
    public TokenMode Mode { get; }
    internal object Issuer { get; }
}

/// <summary>
/// API tokens: <c>fm_&lt;token id&gt;_&lt;secret&gt;</c>. The record, under the token id, holds the tenant, the mode, the
/// revoked flag and HMAC-SHA256(token-hash key, token); checking a token recomputes the HMAC and compares in
/// constant time.
/// </summary>
public sealed class TokenStore
{
    private const string Prefix = "fm_";
    private const int SecretBytes = 32;
    private const int SecretTextLength = 43;
    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly TenantStore _tenants;
    private readonly TimeProvider _clock;

    internal TokenStore(IRecordStore store, KeyRing keys, TenantStore tenants, TimeProvider clock)
    {
        _store = store;
        _keys = keys;
        _tenants = tenants;
        _clock = clock;
        tenants.Deleted += PurgeTenant;
    }

    public async Task<IssuedToken> IssueAsync(string tenantId, TokenMode mode)
    {
        if (mode is not (TokenMode.Development or TokenMode.Production))
            throw new VaultArgumentException("token mode must be development or production");
        if (_tenants.Get(tenantId) is null) throw new VaultArgumentException("unknown tenant");
        var tokenId = OpaqueId.New();
        var secret = RandomNumberGenerator.GetBytes(SecretBytes);
        var token = Prefix + tokenId + "_" + Convert.ToBase64String(secret).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Array.Clear(secret);
        var info = new TokenInfo(tokenId.ToString(), tenantId, mode, false, _clock.GetUtcNow());
        Write(tokenId, info, Hash(token));
        await _store.CommitAsync().ConfigureAwait(false);
        return new IssuedToken(token, info.TokenId, mode);
    }

    /// <summary>The grant for a valid token; null for a malformed, unknown or revoked token or a deleted tenant.</summary>
    public TokenGrant? Authenticate(string? token)
    {
        if (token is null || token.Length != Prefix.Length + OpaqueId.TextLength + 1 + SecretTextLength || !token.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        if (!OpaqueId.TryParse(token.Substring(Prefix.Length, OpaqueId.TextLength), out var tokenId)) return null;
        if (Read(tokenId) is not { } stored) return null;
        if (!CryptographicOperations.FixedTimeEquals(stored.Hash, Hash(token))) return null;
        if (stored.Info.Revoked || _tenants.Get(stored.Info.TenantId) is null) return null;
        return new TokenGrant(stored.Info.TenantId, stored.Info.TokenId, stored.Info.Mode, this);
    }

    public TokenInfo? Get(string? tokenId) => OpaqueId.TryParse(tokenId, out var id) ? Read(id)?.Info : null;

    public IReadOnlyList<TokenInfo> List(string tenantId) =>
        ScanAll().Select(t => t.Info).Where(t => t.TenantId == tenantId).OrderBy(t => t.Created).ToList();

    /// <summary>Revokes the token; false if unknown. Revoking twice is fine.</summary>
    public async Task<bool> RevokeAsync(string tokenId)
    {
        if (!OpaqueId.TryParse(tokenId, out var id) || Read(id) is not { } stored) return false;
        if (!stored.Info.Revoked)
        {
            Write(id, stored.Info with { Revoked = true }, stored.Hash);
            await _store.CommitAsync().ConfigureAwait(false);
        }
        return true;
    }

    internal bool IsOwnGrant(TokenGrant grant) => ReferenceEquals(grant.Issuer, this);

    private void PurgeTenant(OpaqueId tenant)
    {
        var tenantId = tenant.ToString();
        foreach (var (key, info) in ScanAll().Select(t => (t.Key, t.Info)).Where(t => t.Info.TenantId == tenantId).ToList())
            _store.Delete(key);
    }

    private byte[] Hash(string token) => HMACSHA256.HashData(_keys.TokenHashKey, System.Text.Encoding.UTF8.GetBytes(token));

    private void Write(OpaqueId id, TokenInfo info, byte[] hash)
    {
        OpaqueId.TryParse(info.TenantId, out var tenant);
        var writer = new RecordWriter(96).Header(RecordKind.Token).Raw(id.ToBytes()).Raw(tenant.ToBytes()).Raw(hash)
            .U8((byte)info.Mode).Bool(info.Revoked).I64(info.Created.ToUnixTimeMilliseconds());
        var key = StoreKeys.ById(RecordType.Token, id);
        _store.Upsert(key, Sealer.Seal(_keys.SystemKey, key, writer.Written));
    }

    private (TokenInfo Info, byte[] Hash)? Read(OpaqueId id)
    {
        var key = StoreKeys.ById(RecordType.Token, id);
        if (!_store.TryRead(key, out var value)) return null;
        try { return Decode(Sealer.Open(_keys.SystemKey, key, value.Span)); }
        finally { value.Release(); }
    }

    private IEnumerable<(byte[] Key, TokenInfo Info)> ScanAll() =>
        _store.Scan(StoreKeys.TypePrefix(RecordType.Token)).Select(r => (r.Key, Decode(Sealer.Open(_keys.SystemKey, r.Key, r.Value)).Info));

    private static (TokenInfo Info, byte[] Hash) Decode(byte[] plaintext)
    {
        var reader = new RecordReader(plaintext);
        reader.Header(RecordKind.Token);
        var id = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var tenant = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var hash = reader.Raw(32).ToArray();
        var mode = (TokenMode)reader.U8();
        var revoked = reader.Bool();
        var created = DateTimeOffset.FromUnixTimeMilliseconds(reader.I64());
        reader.End();
        return (new TokenInfo(id.ToString(), tenant.ToString(), mode, revoked, created), hash);
    }
}
