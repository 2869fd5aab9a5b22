namespace FaceMatch.Grpc.Framing;

/// <summary>How messages are read: the size limit (after decompression) and the peer's encoding, if any.</summary>
public readonly record struct MessageReadOptions(int MaxMessageSize, IMessageCompressor? Compressor = null);

/// <summary>How messages are written: the size limit, the encoding to use (null: uncompressed) and its level.</summary>
public readonly record struct MessageWriteOptions(
    int MaxMessageSize,
    IMessageCompressor? Compressor = null,
    System.IO.Compression.CompressionLevel CompressionLevel = System.IO.Compression.CompressionLevel.Fastest);
