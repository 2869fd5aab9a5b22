using FaceMatch.Vision.Imaging;
using Grpc.Core;

namespace FaceMatch.Server.Admission;

/// <summary>
/// A server-wide bound on the pixels being decoded and analysed at once. A frame's size is read from its headers
/// (no pixels allocated) and admitted against the budget before decoding; when the budget is spent the frame is
/// refused with RESOURCE_EXHAUSTED and a retry hint at once, so a flood of large images costs the server a header read each,
/// never an out-of-memory process.
/// </summary>
public sealed class DecodeBudget(long maxPixels)
{
    private long _inUse;

    /// <summary>Admits <paramref name="pixels"/>; dispose the lease when the frame's pixels are gone.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: the budget is spent.</exception>
    public Lease Admit(long pixels)
    {
        if (Interlocked.Add(ref _inUse, pixels) > maxPixels)
        {
            Interlocked.Add(ref _inUse, -pixels);
            throw Overload.Refuse(Overload.Reason.DecodeBudget, "server over capacity (image decoding); retry later");
        }
        return new Lease(this, pixels);
    }

    public sealed class Lease(DecodeBudget budget, long pixels) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Add(ref budget._inUse, -pixels);
        }
    }
}

/// <summary>Admits an encoded image (a session frame, a Compare image) to the decode budget from its headers alone.</summary>
public sealed class FrameAdmission(ImageDecoder headerReader, DecodeTarget target, DecodeBudget budget)
{
    /// <exception cref="ImageDecodeException">the headers are not an image within the decoder's limits.</exception>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: the budget is spent.</exception>
    public DecodeBudget.Lease Admit(ReadOnlySpan<byte> encoded)
    {
        var info = headerReader.Identify(encoded, target);
        return budget.Admit((long)info.Width * info.Height);
    }
}
