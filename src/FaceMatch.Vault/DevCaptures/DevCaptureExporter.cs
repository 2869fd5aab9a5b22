using System.Text.Json;

namespace FaceMatch.Vault.DevCaptures;

/// <summary>
/// Writes a tenant's development captures to a directory for model-improvement work: one image file per capture
/// (<c>&lt;capture id&gt;.&lt;format&gt;</c>) and <c>captures.jsonl</c> with one line of metadata per capture. The
/// directory is created owner-only (0700): the files are biometric data.
/// </summary>
public static class DevCaptureExporter
{
    public const string ManifestName = "captures.jsonl";

    /// <returns>How many captures were written.</returns>
    public static async Task<int> ExportAsync(DevCaptureStore store, string tenantId, string outputDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (string.IsNullOrWhiteSpace(outputDirectory)) throw new VaultArgumentException("an output directory is required");
        var captures = store.Enumerate(tenantId);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(outputDirectory);
        else Directory.CreateDirectory(outputDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var count = 0;
        await using var manifest = new FileStream(Path.Combine(outputDirectory, ManifestName), FileMode.Create, FileAccess.Write);
        foreach (var capture in captures)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fileName = $"{capture.CaptureId}.{capture.Format}";
            await File.WriteAllBytesAsync(Path.Combine(outputDirectory, fileName), capture.Image, cancellationToken).ConfigureAwait(false);
            using (var json = new Utf8JsonWriter(manifest))
            {
                json.WriteStartObject();
                json.WriteString("capture_id", capture.CaptureId);
                json.WriteString("session_id", capture.SessionId);
                json.WriteNumber("created_unix_ms", capture.Created.ToUnixTimeMilliseconds());
                json.WriteString("format", capture.Format);
                json.WriteString("file", fileName);
                json.WriteStartObject("quality");
                foreach (var (name, value) in capture.Quality) json.WriteNumber(name, value);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            manifest.WriteByte((byte)'\n');
            count++;
        }
        await manifest.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }
}
