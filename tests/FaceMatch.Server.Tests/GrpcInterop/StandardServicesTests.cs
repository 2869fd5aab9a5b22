using FaceMatch.Server.Tests.Support;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.GrpcInterop;

/// <summary>grpc.health.v1 (Grpc.AspNetCore.HealthChecks over the server's readiness) and server reflection, checked with grpc-js clients and Grpc.Net.Client.</summary>
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
        Assert.EndsWith("health.proto", r.GetProperty("health_file").GetString());
        Assert.True(r.GetProperty("by_filename_count").GetInt32() >= 1);
        Assert.Equal((int)StatusCode.NotFound, r.GetProperty("unknown_error").GetProperty("code").GetInt32());
        Assert.Contains("not found", r.GetProperty("unknown_error").GetProperty("message").GetString());
        var call = r.GetProperty("call");
        Assert.Equal(0, call.GetProperty("code").GetInt32());
        Assert.Equal("called through reflection", call.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Reflection_descriptors_rebuild_the_services_with_google_protobuf()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = server.CreateChannel();
        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo(Calls.Bounded());
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "facematch.interop.v1.Interop.Duplex" });
        Assert.True(await call.ResponseStream.MoveNext());
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto;
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
    public async Task Health_check_from_grpc_js_follows_readiness_and_is_not_found_for_unknown_services()
    {
        await using var server = await GrpcTestServer.StartAsync(serving: false);
        var starting = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "");
        Assert.Equal("NOT_SERVING", starting.GetProperty("status").GetString());
        server.Server.MarkServing();
        var ready = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "");
        Assert.Equal("SERVING", ready.GetProperty("status").GetString());
        var unknown = await PeerProcess.RunAsync("health.mjs", "--target", server.Target, "--mode", "check", "--service", "nope");
        Assert.Equal((int)StatusCode.NotFound, unknown.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Health_watch_from_grpc_js_sees_starting_serving_and_stopping()
    {
        var server = await GrpcTestServer.StartAsync(serving: false);
        await using (server)
        {
            await using var watch = await PeerProcess.StartAsync("health.mjs", "--target", server.Target, "--mode", "watch", "--service", "", "--count", "3");
            var first = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("NOT_SERVING", first!.Value.GetProperty("status").GetString());
            server.Server.MarkServing();
            var second = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("SERVING", second!.Value.GetProperty("status").GetString());
            server.Server.Readiness.MarkStopping();
            var third = await watch.ReadJsonLineAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("NOT_SERVING", third!.Value.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Health_watch_turns_not_serving_and_ends_when_the_server_stops()
    {
        var server = await GrpcTestServer.StartAsync();
        await using (server)
        {
            using var channel = server.CreateChannel();
            var health = new Health.HealthClient(channel);
            using var call = health.Watch(new HealthCheckRequest(), Calls.Bounded());
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.Serving, call.ResponseStream.Current.Status);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var stopping = server.Server.StopAsync(stop.Token);
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.NotServing, call.ResponseStream.Current.Status);
            // The stop may repeat NOT_SERVING (readiness, then the health integration at shutdown); then the stream ends.
            while (await call.ResponseStream.MoveNext())
                Assert.Equal(ServingStatus.NotServing, call.ResponseStream.Current.Status);
            await stopping;
        }
    }
}
