using System.Buffers;
using System.IO.Pipelines;
using FaceMatch.Grpc.Framing;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using FaceMatch.Grpc.Tests.Interop;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Tests.ProtocolTests;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("100m", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("2S", 2 * TimeSpan.TicksPerSecond)]
    [InlineData("3M", 3 * TimeSpan.TicksPerMinute)]
    [InlineData("1H", TimeSpan.TicksPerHour)]
    [InlineData("1500u", 15_000)]
    [InlineData("1000n", 10)]
    [InlineData("99999999m", 99_999_999 * TimeSpan.TicksPerMillisecond)]
    public void Parses_every_unit(string text, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(text, out var t));
        Assert.Equal(ticks, t.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("-5S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void Rejects_malformed_values(string text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Fact]
    public void Huge_timeouts_are_clamped()
    {
        Assert.True(GrpcTimeout.TryParse("99999999H", out var t));
        Assert.Equal(GrpcTimeout.Max, t);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(250)]
    [InlineData(1500)]
    [InlineData(86_400_000)]
    public void Format_round_trips_without_shortening(long millis)
    {
        var text = GrpcTimeout.Format(TimeSpan.FromMilliseconds(millis));
        Assert.True(text.Length <= 9);
        Assert.True(GrpcTimeout.TryParse(text, out var back));
        Assert.True(back >= TimeSpan.FromMilliseconds(millis));
        Assert.True(back - TimeSpan.FromMilliseconds(millis) < TimeSpan.FromSeconds(1));
    }
}

public sealed class PercentEncodingTests
{
    [Fact]
    public void Encodes_non_printable_non_ascii_and_percent()
    {
        Assert.Equal("a%25b %E2%9C%93%0A", PercentEncoding.Encode("a%b ✓\n"));
        Assert.Equal("plain text: ok", PercentEncoding.Encode("plain text: ok"));
    }

    [Theory]
    [InlineData("a%b ✓\n")]
    [InlineData("日本語 100%")]
    [InlineData("")]
    public void Round_trips(string text) => Assert.Equal(text, PercentEncoding.Decode(PercentEncoding.Encode(text)));

    [Fact]
    public void Keeps_malformed_escapes() => Assert.Equal("50%zz%", PercentEncoding.Decode("50%zz%"));
}

public sealed class MetadataTests
{
    [Fact]
    public void Keys_are_lowercased_and_binary_keys_need_bytes()
    {
        var m = new Metadata().Add("X-Tenant", "t1").Add("x-sig-bin", [1, 2]);
        Assert.Equal("x-tenant", m[0].Key);
        Assert.Equal("t1", m.GetValue("x-tenant"));
        Assert.Equal(new byte[] { 1, 2 }, m.GetValueBytes("X-SIG-BIN"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-sig-bin", "text"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-sig", [1]));
    }

    [Theory]
    [InlineData("grpc-status")]
    [InlineData("content-type")]
    [InlineData(":path")]
    [InlineData("bad key")]
    public void Reserved_and_invalid_keys_are_refused(string key) =>
        Assert.Throws<ArgumentException>(() => new Metadata().Add(key, "v"));

    [Fact]
    public void Values_must_be_printable_ascii() =>
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-name", "Zoë"));

    [Fact]
    public void Binary_values_accept_padded_and_unpadded_base64_and_are_sent_unpadded()
    {
        Assert.True(Metadata.TryFromWire("x-b-bin", "AQID/w", out var unpadded));
        Assert.True(Metadata.TryFromWire("x-b-bin", "AQID/w==", out var padded));
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, unpadded!.ValueBytes);
        Assert.Equal(unpadded.ValueBytes, padded!.ValueBytes);
        Assert.Equal("AQID/w", Metadata.ToWire(padded));
        Assert.False(Metadata.TryFromWire("x-b-bin", "!!!", out _));
        Assert.False(Metadata.TryFromWire("grpc-timeout", "1S", out _));
    }
}

public sealed class MessageFramingTests
{
    private static readonly MessageReadOptions Read = new(1024 * 1024);

    private static byte[] Frame(EchoResponse message)
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.WriteMessage(message, new MessageWriteOptions(int.MaxValue));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A sequence made of one segment per byte: the worst case a pipe can hand over.</summary>
    private static ReadOnlySequence<byte> Fragmented(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++) last = last.Append(bytes.AsMemory(i, 1));
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index) { Memory = memory; RunningIndex = index; }
        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact]
    public void Writes_flag_big_endian_length_and_payload()
    {
        var message = new EchoResponse { Text = "hi" };
        var frame = Frame(message);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 4 }, frame[..5]);
        Assert.Equal(message.ToByteArray(), frame[5..]);
    }

    [Fact]
    public void Reads_messages_split_across_segments_and_back_to_back()
    {
        var a = new EchoResponse { Text = "first", Payload = ByteString.CopyFrom(new byte[300]) };
        var b = new EchoResponse { Text = "second" };
        var empty = new EchoResponse();
        var buffer = Fragmented([.. Frame(a), .. Frame(b), .. Frame(empty)]);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out var first));
        Assert.True(MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out var second));
        Assert.True(MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out var third));
        Assert.Equal(a, first);
        Assert.Equal(b, second);
        Assert.Equal(empty, third);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Waits_for_the_rest_of_a_partial_message()
    {
        var frame = Frame(new EchoResponse { Text = "partial" });
        var buffer = new ReadOnlySequence<byte>(frame, 0, frame.Length - 1);
        Assert.False(MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out _));
        Assert.Equal(frame.Length - 1, buffer.Length);
    }

    [Fact]
    public void Oversized_message_is_refused_from_its_header_alone()
    {
        var header = new byte[] { 0, 0, 0x10, 0, 1 }; // 1 MiB + 1, no payload yet
        var buffer = new ReadOnlySequence<byte>(header);
        var e = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out _));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public void Compressed_flag_without_an_encoding_is_internal()
    {
        var frame = Frame(new EchoResponse { Text = "x" });
        frame[0] = 1;
        var buffer = new ReadOnlySequence<byte>(frame);
        var e = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out _));
        Assert.Equal(StatusCode.Internal, e.StatusCode);
    }

    [Fact]
    public void Decompressed_size_is_held_to_the_limit()
    {
        var writer = new ArrayBufferWriter<byte>();
        var big = new EchoResponse { Payload = ByteString.CopyFrom(new byte[200_000]) }; // compresses to a few hundred bytes
        writer.WriteMessage(big, new MessageWriteOptions(int.MaxValue, GzipCompressor.Instance));
        Assert.True(writer.WrittenCount < 2000);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        var e = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser,
            new MessageReadOptions(100_000, GzipCompressor.Instance), out _));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);

        buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, new MessageReadOptions(300_000, GzipCompressor.Instance), out var back));
        Assert.Equal(big, back);
    }

    [Fact]
    public async Task Stream_ending_inside_a_message_is_internal_and_clean_end_is_null()
    {
        var pipe = new Pipe();
        var frame = Frame(new EchoResponse { Text = "cut" });
        await pipe.Writer.WriteAsync(frame.AsMemory(0, frame.Length - 2));
        await pipe.Writer.CompleteAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () => await pipe.Reader.ReadMessageAsync(EchoResponse.Parser, Read));
        Assert.Equal(StatusCode.Internal, e.StatusCode);

        var clean = new Pipe();
        await clean.Writer.CompleteAsync();
        Assert.Null(await clean.Reader.ReadMessageAsync(EchoResponse.Parser, Read));
    }

    [Fact]
    public void Parsing_a_frame_allocates_only_the_message()
    {
        var frame = Frame(new EchoResponse { Text = "t", Payload = ByteString.CopyFrom(new byte[4096]) });
        var parse = () =>
        {
            var buffer = new ReadOnlySequence<byte>(frame);
            MessageFraming.TryReadMessage(ref buffer, EchoResponse.Parser, Read, out var m);
            return m;
        };
        parse(); // warm up (JIT, statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var message = parse();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(message);
        // The message object, its text and its 4 KiB payload copy; nothing proportional to the frame beyond that.
        Assert.InRange(allocated, 4096, 4096 + 400);
    }
}

public sealed class BindingTests
{
    private static readonly ServiceDescriptor Service = InteropReflection.Descriptor.Services[0];

    [Fact]
    public void Builder_refuses_unknown_rpcs_wrong_call_types_and_wrong_messages()
    {
        var builder = GrpcServiceDefinition.CreateBuilder(Service);
        var e1 = Assert.Throws<ArgumentException>(() => builder.AddUnary<EchoRequest, EchoResponse>("Nope", (_, _) => Task.FromResult(new EchoResponse())));
        Assert.Contains("no RPC named 'Nope'", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => builder.AddUnary<EchoRequest, EchoResponse>("Duplex", (_, _) => Task.FromResult(new EchoResponse())));
        Assert.Contains("DuplexStreaming", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => builder.AddUnary<CancelQuery, EchoResponse>("Unary", (_, _) => Task.FromResult(new EchoResponse())));
        Assert.Contains("facematch.interop.v1.EchoRequest", e3.Message);
    }

    [Fact]
    public void Builder_binds_one_line_per_rpc_and_leaves_the_rest_unbound()
    {
        var definition = GrpcServiceDefinition.CreateBuilder(Service)
            .AddUnary<EchoRequest, EchoResponse>("Unary", (r, _) => Task.FromResult(new EchoResponse { Text = r.Text }))
            .AddDuplexStreaming<EchoRequest, EchoResponse>("Duplex", (_, _, _) => Task.CompletedTask)
            .Build();
        Assert.Equal(["/facematch.interop.v1.Interop/Duplex", "/facematch.interop.v1.Interop/Unary"], definition.Methods.Select(m => m.Path).Order());
        Assert.Equal(MethodType.DuplexStreaming, definition.Methods.Single(m => m.Method.Name == "Duplex").Type);
    }

    private sealed class WrongShape : GrpcServiceBase
    {
        public override ServiceDescriptor Descriptor => Service;
        public Task<EchoResponse> Unary(EchoRequest request) => Task.FromResult(new EchoResponse());
    }

    [Fact]
    public void Convention_binding_explains_a_method_of_the_wrong_shape()
    {
        var e = Assert.Throws<InvalidOperationException>(() => GrpcServiceDefinition.FromService(new WrongShape()));
        Assert.Contains("WrongShape.Unary", e.Message);
        Assert.Contains("ServerCallContext", e.Message);
    }

    [Fact]
    public void Registry_refuses_a_service_twice() =>
        Assert.Throws<InvalidOperationException>(() => new GrpcServiceRegistry().Add(new Support.InteropService()).Add(new Support.InteropService()));

    [Fact]
    public void Server_options_are_validated_with_reasons()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrpcServerOptions { MaxReceiveMessageSize = 0 }.Validate());
        var e = Assert.Throws<ArgumentException>(() => new GrpcServerOptions { ResponseCompression = "br" }.Validate());
        Assert.Contains("br", e.Message);
    }
}
