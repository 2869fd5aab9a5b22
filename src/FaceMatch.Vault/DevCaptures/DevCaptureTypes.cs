namespace FaceMatch.Vault.DevCaptures;

/// <summary>An aligned face crop kept from a development-token session, with its quality metadata.</summary>
public sealed record DevCapture(
    string CaptureId,
    /// <summary>Random per session: groups the crops of one session (one person), links to nothing else.</summary>
    string SessionId,
    DateTimeOffset Created,
    /// <summary>Encoding of <see cref="Image"/>, e.g. png, jpeg, rgb24.</summary>
    string Format,
    IReadOnlyDictionary<string, float> Quality,
    byte[] Image);
