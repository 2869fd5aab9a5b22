namespace FaceMatch.Vault.DevCaptures;

/// <summary>
/// The capability to keep captures. Only <see cref="DevCaptureStore.OpenWriter"/> makes one, and only for a
/// grant of a development token, so a production session holds no object through which a capture could be
/// written. One writer per session; its captures share a random session id.
/// </summary>
public sealed class DevCaptureWriter
{
    private readonly DevCaptureStore _store;
    private readonly OpaqueId _tenant;
    private readonly OpaqueId _session;

    internal DevCaptureWriter(DevCaptureStore store, OpaqueId tenant, OpaqueId session)
    {
        _store = store;
        _tenant = tenant;
        _session = session;
    }

    public string TenantId => _tenant.ToString();
    public string SessionId => _session.ToString();

    /// <summary>Stores one crop (sealed under the tenant's key) and returns its capture id once durable.</summary>
    public Task<string> WriteAsync(ReadOnlyMemory<byte> image, string format, IReadOnlyDictionary<string, float> quality) =>
        _store.WriteAsync(_tenant, _session, image, format, quality);
}
