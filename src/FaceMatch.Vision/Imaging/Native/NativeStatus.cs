namespace FaceMatch.Vision.Imaging.Native;

/// <summary>Turns fm_status codes into exceptions.</summary>
internal static class NativeStatus
{
    public const int Empty = 1, UnknownFormat = 2, Corrupt = 3, TooLarge = 4, Truncated = 5, Unsupported = 6,
        OutOfMemory = 7, InvalidArgument = 8, BufferTooSmall = 9, EncodeFailed = 10;

    /// <summary>Decoder failures: input problems become <see cref="ImageDecodeException"/>.</summary>
    public static void ThrowIfDecodeFailed(int status, in NativeError error)
    {
        if (status == ImagingNative.Ok)
            return;
        var reason = status switch
        {
            Empty => ImageDecodeError.Empty,
            UnknownFormat => ImageDecodeError.UnknownFormat,
            Corrupt => ImageDecodeError.Corrupt,
            TooLarge => ImageDecodeError.TooLarge,
            Truncated => ImageDecodeError.Truncated,
            Unsupported => ImageDecodeError.Unsupported,
            OutOfMemory => ImageDecodeError.OutOfMemory,
            _ => (ImageDecodeError?)null,
        };
        if (reason is { } r)
            throw new ImageDecodeException(r, error.Text);
        ThrowIfFailed(status, error);
    }

    /// <summary>Pixel operations and encoders: failures are caller errors or resource exhaustion.</summary>
    public static void ThrowIfFailed(int status, in NativeError error)
    {
        switch (status)
        {
            case ImagingNative.Ok:
                return;
            case InvalidArgument:
            case BufferTooSmall:
                throw new ArgumentException(error.Text);
            case OutOfMemory:
                throw new InsufficientMemoryException(error.Text);
            default:
                throw new ImagingException($"imaging error {status}: {error.Text}");
        }
    }
}
