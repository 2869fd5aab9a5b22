using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace FaceMatch.Grpc.Framing;

/// <summary>
/// The gRPC length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length, payload)
/// read from a PipeReader and written to a PipeWriter, so call handlers never touch bytes.
/// An uncompressed message costs no allocation beyond the message object itself: it is parsed straight
/// from the pipe's buffers and serialized straight into the pipe's memory.
/// </summary>
public static class MessageFraming
{
    /// <summary>Messages up to this size are serialized into one contiguous span; larger ones in pipe-sized chunks.</summary>
    private const int ContiguousWriteLimit = 64 * 1024;

    /// <summary>Reads the next message, or returns null when the stream ended cleanly between messages.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<T?> ReadMessageAsync<T>(this PipeReader reader, MessageParser<T> parser,
        MessageReadOptions options, CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            T? message;
            bool complete;
            try
            {
                complete = TryReadMessage(ref buffer, parser, options, out message);
            }
            catch
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw;
            }
            if (complete)
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCanceled)
                throw new OperationCanceledException("The read was cancelled.");
            if (result.IsCompleted)
            {
                if (buffer.Length == 0) return null;
                throw new RpcException(StatusCode.Internal, "Incomplete message: the stream ended inside a message.");
            }
        }
    }

    /// <summary>
    /// Parses one whole frame from the start of <paramref name="buffer"/> if it is there, and moves
    /// <paramref name="buffer"/> past it. Returns false (buffer untouched) if more bytes are needed.
    /// </summary>
    public static bool TryReadMessage<T>(ref ReadOnlySequence<byte> buffer, MessageParser<T> parser,
        in MessageReadOptions options, out T? message)
        where T : class, IMessage<T>
    {
        message = null;
        if (buffer.Length < GrpcProtocol.FrameHeaderSize) return false;

        Span<byte> header = stackalloc byte[GrpcProtocol.FrameHeaderSize];
        buffer.Slice(0, GrpcProtocol.FrameHeaderSize).CopyTo(header);
        var compressed = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (compressed > 1)
            throw new RpcException(StatusCode.Internal, $"Invalid message frame: compressed flag {compressed}.");
        if (length > (uint)options.MaxMessageSize)
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Received message larger than max ({length} vs. {options.MaxMessageSize} bytes).");
        if (buffer.Length < GrpcProtocol.FrameHeaderSize + length) return false;

        var payload = buffer.Slice(GrpcProtocol.FrameHeaderSize, length);
        if (compressed == 0)
        {
            message = Parse(parser, payload);
        }
        else
        {
            if (options.Compressor is null)
                throw new RpcException(StatusCode.Internal, "A compressed message arrived, but the call has no grpc-encoding.");
            message = Decompress(parser, payload, options);
        }
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Frames and writes one message into the pipe or buffer (a pipe is not flushed).</summary>
    public static void WriteMessage<T>(this IBufferWriter<byte> writer, T message, in MessageWriteOptions options)
        where T : IMessage<T>
    {
        var size = message.CalculateSize();
        if (size > options.MaxMessageSize)
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({size} vs. {options.MaxMessageSize} bytes).");
        if (options.Compressor is not null)
        {
            WriteCompressed(writer, message, size, options);
            return;
        }

        if (size <= ContiguousWriteLimit)
        {
            var span = writer.GetSpan(GrpcProtocol.FrameHeaderSize + size);
            WriteHeader(span, compressed: false, size);
            message.WriteTo(span.Slice(GrpcProtocol.FrameHeaderSize, size));
            writer.Advance(GrpcProtocol.FrameHeaderSize + size);
        }
        else
        {
            WriteHeader(writer.GetSpan(GrpcProtocol.FrameHeaderSize), compressed: false, size);
            writer.Advance(GrpcProtocol.FrameHeaderSize);
            message.WriteTo(writer);
        }
    }

    internal static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload) where T : IMessage<T>
    {
        try
        {
            return payload.IsSingleSegment ? parser.ParseFrom(payload.FirstSpan) : parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(StatusCode.Internal, "Failed to deserialize the message: it is not valid protobuf for this method.");
        }
    }

    private static T Decompress<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, in MessageReadOptions options)
        where T : IMessage<T>
    {
        var max = options.MaxMessageSize;
        var rented = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1L, Math.Max(4096L, payload.Length * 4)));
        try
        {
            var total = 0;
            using (var input = new ReadOnlySequenceStream(payload))
            using (var inflater = options.Compressor!.CreateDecompressionStream(input))
            {
                while (true)
                {
                    if (total == rented.Length)
                    {
                        if (rented.Length > max)
                            throw new RpcException(StatusCode.ResourceExhausted,
                                $"Received message larger than max after decompression (over {max} bytes).");
                        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1L, rented.Length * 2L));
                        rented.AsSpan(0, total).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(rented);
                        rented = bigger;
                    }
                    int read;
                    try
                    {
                        read = inflater.Read(rented, total, rented.Length - total);
                    }
                    catch (InvalidDataException)
                    {
                        throw new RpcException(StatusCode.Internal, $"Failed to decompress a {options.Compressor.Name} message.");
                    }
                    if (read == 0) break;
                    total += read;
                }
            }
            if (total > max)
                throw new RpcException(StatusCode.ResourceExhausted,
                    $"Received message larger than max after decompression ({total} vs. {max} bytes).");
            try
            {
                return parser.ParseFrom(rented.AsSpan(0, total));
            }
            catch (InvalidProtocolBufferException)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize the message: it is not valid protobuf for this method.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteCompressed<T>(IBufferWriter<byte> writer, T message, int size, in MessageWriteOptions options)
        where T : IMessage<T>
    {
        var plain = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        using var compressed = new PooledBufferStream(size / 2 + 64);
        try
        {
            message.WriteTo(plain.AsSpan(0, size));
            using (var deflater = options.Compressor!.CreateCompressionStream(compressed, options.CompressionLevel))
                deflater.Write(plain, 0, size);
            var body = compressed.WrittenSpan;
            var span = writer.GetSpan(GrpcProtocol.FrameHeaderSize);
            WriteHeader(span, compressed: true, body.Length);
            writer.Advance(GrpcProtocol.FrameHeaderSize);
            writer.Write(body);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }
}
