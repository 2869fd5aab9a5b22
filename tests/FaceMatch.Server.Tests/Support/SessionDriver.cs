using System.Numerics;
using FaceMatch.Api.V1;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Support;

/// <summary>Drives one session as an SDK does: start, then each frame, reading that frame's feedback before sending the next.</summary>
public static class SessionDriver
{
    public sealed record Outcome(IReadOnlyList<FrameFeedback> Feedback, SessionResult Result);

    public static async Task<Outcome> RunAsync(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionStart start,
        IEnumerable<byte[]> frames, long frameIntervalMs = 100)
    {
        await Send(call, new SessionRequest { Start = start });
        var feedback = new List<FrameFeedback>();
        long clock = 1_000;
        foreach (var frame in frames)
        {
            await Send(call, new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(frame), CaptureTimeMs = clock += frameIntervalMs } });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None)) throw new InvalidOperationException("the session ended before answering a frame");
            var ev = call.ResponseStream.Current;
            if (ev.KindCase == SessionEvent.KindOneofCase.Result) return new Outcome(feedback, ev.Result);   // the server had enough
            feedback.Add(ev.Feedback);
        }
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var ev = call.ResponseStream.Current;
            if (ev.KindCase == SessionEvent.KindOneofCase.Result) return new Outcome(feedback, ev.Result);
            feedback.Add(ev.Feedback);
        }
        throw new InvalidOperationException("the session ended without a result");
    }

    /// <summary>
    /// Writes one message. A server that ended the call (say NOT_FOUND at the start message) makes the client's write
    /// fail with CANCELLED; the status the server sent is then read from the response stream, as an SDK would.
    /// </summary>
    private static async Task Send(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionRequest message)
    {
        try
        {
            await call.RequestStream.WriteAsync(message);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            throw;
        }
    }

    /// <summary>
    /// A held-up print: the same photo, shifted, scaled and rotated a little more each frame (every such motion is a
    /// plane homography), re-encoded as JPEG.
    /// </summary>
    public static IEnumerable<byte[]> ReplayedPhoto(byte[] photo, int frames)
    {
        using var source = new ImageDecoder().Decode(photo);
        var centre = new Vector2(source.Width / 2f, source.Height / 2f);
        for (var i = 0; i < frames; i++)
        {
            var motion = AffineMatrix.Translation(-centre.X, -centre.Y)
                .Then(AffineMatrix.Scaling(1 + 0.04 * i, 1 + 0.04 * i))
                .Then(AffineMatrix.Rotation(3.0 * i, Vector2.Zero))
                .Then(AffineMatrix.Translation(centre.X + 12 * i, centre.Y + 8 * i));
            using var warped = AffineWarp.ToRgb(source, motion, source.Width, source.Height, new Rgb24(128, 128, 128));
            yield return JpegEncoder.Encode(warped, quality: 90);
        }
    }
}
