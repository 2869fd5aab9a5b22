namespace FaceMatch.Client;

/// <summary>
/// One camera frame of a session: the encoded image (JPEG, PNG or WebP) and when it was captured, on a clock that
/// only moves forward within the session (a <see cref="System.Diagnostics.Stopwatch"/>'s elapsed time, say). The
/// server reads the spacing of capture times as one of its liveness cues, so send real ones.
/// </summary>
/// <param name="Image">The encoded image; copied when the frame is sent, so the buffer may be reused afterwards.</param>
/// <param name="CaptureTime">Capture time; sent in whole milliseconds.</param>
public readonly record struct SessionFrame(ReadOnlyMemory<byte> Image, TimeSpan CaptureTime);
