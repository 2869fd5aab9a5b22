namespace FaceMatch.Vision.Imaging;

/// <summary>Why an encoded image could not be decoded.</summary>
public enum ImageDecodeError
{
    /// <summary>No bytes at all.</summary>
    Empty = 1,
    /// <summary>Neither JPEG, PNG nor WebP, nor another format we recognise.</summary>
    UnknownFormat = 2,
    /// <summary>JPEG, PNG or WebP, but structurally invalid (bad header, CRC, entropy data the decoder rejects).</summary>
    Corrupt = 3,
    /// <summary>Over a configured limit (<see cref="ImageDecodeOptions"/>): bytes, pixels or a side.</summary>
    TooLarge = 4,
    /// <summary>The data ends before the image does.</summary>
    Truncated = 5,
    /// <summary>A recognised format or variant we do not decode (GIF, HEIC, animated WebP, 12-bit JPEG, ...).</summary>
    Unsupported = 6,
    /// <summary>The process could not allocate the memory the image needs.</summary>
    OutOfMemory = 7,
}

/// <summary>Base type of the imaging layer's failures that are not caller errors.</summary>
public class ImagingException(string message) : Exception(message);

/// <summary>
/// An encoded image was rejected. <see cref="Reason"/> is stable for programs (e.g. to map onto an API status);
/// the message explains it for people and never contains image content.
/// </summary>
public sealed class ImageDecodeException(ImageDecodeError reason, string message) : ImagingException(message)
{
    public ImageDecodeError Reason { get; } = reason;
}
