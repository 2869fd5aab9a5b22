using FaceMatch.Vault;
using FaceMatch.Vault.DevCaptures;
using FaceMatch.Vault.Tokens;
using FaceMatch.Vision;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// A development session's aligned crops and their quality, kept for model improvement. Only a development token's
/// grant yields one (<see cref="For"/> asks the vault for its capture writer, which refuses any other grant), so a
/// production session holds nothing through which a crop could be kept, and its frames are never even encoded.
/// The crops are written when the session has its result, sealed under the tenant's key and under its
/// dev-capture retention.
/// </summary>
public sealed class SessionCaptures
{
    private readonly DevCaptureWriter _writer;
    private readonly List<(byte[] Png, Dictionary<string, float> Quality)> _pending = [];

    private SessionCaptures(DevCaptureWriter writer) => _writer = writer;

    /// <summary>The session's captures for a development token; null for a production one.</summary>
    public static SessionCaptures? For(TokenGrant grant, FaceMatchVault vault) =>
        grant.Mode == TokenMode.Development ? new SessionCaptures(vault.DevCaptures.OpenWriter(grant)) : null;

    /// <summary>Holds one frame's crop (when its main face was found) until the session ends.</summary>
    public void Add(int frameIndex, FrameAnalysis analysis)
    {
        if (analysis.AlignedCropPng is not { } png || analysis.Quality is not { } quality) return;
        _pending.Add((png, new Dictionary<string, float>
        {
            ["frame_index"] = frameIndex,
            ["faces"] = analysis.Faces.Count,
            ["quality"] = quality.Overall,
            ["size"] = quality.Size,
            ["exposure"] = quality.Exposure,
            ["sharpness"] = quality.Sharpness,
            ["pose"] = quality.Pose,
            ["uniqueness"] = quality.Uniqueness,
            ["liveness"] = analysis.Liveness?.Combined ?? 0,
        }));
    }

    /// <summary>Writes the held crops, each durable before the next; returns how many were kept.</summary>
    public async Task<int> WriteAsync()
    {
        foreach (var (png, quality) in _pending)
            await _writer.WriteAsync(png, "png", quality).ConfigureAwait(false);
        var written = _pending.Count;
        _pending.Clear();
        return written;
    }
}
