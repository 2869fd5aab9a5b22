using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Health.V1;
using FaceMatch.Grpc.Reflection.V1;
using FaceMatch.Grpc.Tests.Support;
using Google.Protobuf.Reflection;
using ServingStatus = FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Grpc.Tests.InteropTests;

/// <summary>grpc.health.v1 and server reflection, checked with grpc-js clients and with ours.</summary>
public sealed class StandardServicesTests
{
    [Theory]
    [InlineData("v1")]
    [InlineData("v1alpha")]
    public async Task Generic_client_lists_and_calls_services_through_reflection_alone(string version)
    {
        await using var server = await GrpcTestServer.StartAsync();
        var r = await PeerProcess.RunAsync("reflection.mjs", "--target", server.Target, "--version", version);
        var services = r.GetProperty("services").EnumerateArray().Select(s => s.GetString()).ToArray();
        Assert.Equal(
            ["facematch.interop.v1.Interop", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
            services.Order());
        var types = r.GetProperty("types").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Contains("facematch.interop.v1.EchoRequest", types);
        Assert.Contains("grpc.health.v1.HealthCheckResponse", types);
        Assert.True(r.GetProperty("method_symbol_found").GetBoolean());
        Assert.Equal(1, r.GetProperty("by_filename_count").GetInt32());
        Assert.Equal((int)StatusCode.NotFound, r.GetProperty("unknown_error").GetProperty("code").GetInt32());
        Assert.Contains("no.such.Symbol", r.GetProperty("unknown_error").GetProperty("message").GetString());
        var call = r.GetProperty("call");
        Assert.Equal(0, call.GetProperty("code").GetInt32());
        Assert.Equal("called through reflection", call.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Reflection_descriptors_rebuild_the_services_with_google_protobuf()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = server.CreateChannel();
        var method = Method<ServerReflectionRequest, ServerReflectionResponse>.FromDescriptor(
            ReflectionReflection.Descriptor.Services[0].FindMethodByName("ServerReflectionInfo"));
        using var call = channel.DuplexStreamingCall(method, InteropClient.Bounded());
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "facematch.interop.v1.Interop.Duplex" });
        Assert.True(await call.ResponseStream.MoveNext());
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto;
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { AllExtensionNumbersOfType = "facematch.interop.v1.EchoRequest" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("facematch.interop.v1.EchoRequest", call.ResponseStream.Current.AllExtensionNumbersResponse.BaseTypeName);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileByFilename = "missing.proto" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal((int)StatusCode.NotFound, call.ResponseStream.Current.ErrorResponse.ErrorCode);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());

        var rebuilt = FileDescriptor.BuildFromByteStrings(files);
        var service = rebuilt.Single().Services.Single();
        Assert.Equal("facematch.interop.v1.Interop", service.FullName);
        var duplex = service.FindMethodByName("Duplex");
        Assert.True(duplex.IsClientStreaming && duplex.IsServerStreaming);
        Assert.Equal("facematch.interop.v1.EchoRequest", duplex.InputType.FullName);
        Assert.Equal(9, duplex.InputType.FindFieldByName("ignore_cancellation").FieldNumber);
    }

    [Fact]
    public async Task Health_check_from_grpc_js_answers_the_set_status_and_not_found_for_unknown()
    {
        await using var server = await GrpcTestServer.StartAsync();
        server.Health.SetStatus("facematch.v1.FaceMatch", ServingStatus.NotServing);
        var overall = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "");
        Assert.Equal("SERVING", overall.GetProperty("status").GetString());
        var one = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "facematch.v1.FaceMatch");
        Assert.Equal("NOT_SERVING", one.GetProperty("status").GetString());
        var unknown = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "nope");
        Assert.Equal((int)StatusCode.NotFound, unknown.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Health_watch_from_grpc_js_sees_every_change()
    {
        await using var server = await GrpcTestServer.StartAsync();
        await using var watch = await PeerProcess.StartAsync("health.mjs", "--target", server.Target, "--mode", "watch", "--service", "svc", "--count", "3");
        var first = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("SERVICE_UNKNOWN", first!.Value.GetProperty("status").GetString());
        server.Health.SetStatus("svc", ServingStatus.Serving);
        var second = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("SERVING", second!.Value.GetProperty("status").GetString());
        server.Health.SetStatus("svc", ServingStatus.NotServing);
        var third = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("NOT_SERVING", third!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_client_watch_ends_when_the_server_shuts_down()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = server.CreateChannel();
        var health = new HealthClient(channel);
        using var call = health.Watch(new HealthCheckRequest(), InteropClient.Bounded());
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.Serving, call.ResponseStream.Current.Status);
        server.Health.EnterShutdown();
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.NotServing, call.ResponseStream.Current.Status);
        Assert.False(await call.ResponseStream.MoveNext());
    }
}
