using System.Collections;
using System.Net;
using FaceMatch.Grpc;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Health.V1;
using FaceMatch.Server.Hosting;
using ServingStatus = FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.Hosting;

public sealed class FaceMatchGrpcServerTests
{
    [Fact]
    public async Task Health_is_not_serving_until_marked_and_not_serving_again_on_stop()
    {
        var settings = GrpcEndpointSettings.FromVariables(new Hashtable { [GrpcEndpointSettings.PortVariable] = "0" }) with { Address = IPAddress.Loopback };
        await using var server = FaceMatchGrpcServer.Create(settings.ToHostOptions(), []);
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.StartAsync(start.Token);
        using var channel = GrpcChannel.ForAddress(server.LocalAddress);
        var health = new HealthClient(channel);
        var options = CallOptions.WithTimeout(TimeSpan.FromSeconds(20));

        Assert.Equal(ServingStatus.NotServing, (await health.Check(new HealthCheckRequest(), options)).Status);
        using var watch = health.Watch(new HealthCheckRequest(), options);
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

        server.MarkServing();
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        Assert.Equal(ServingStatus.Serving, (await health.Check(new HealthCheckRequest(), options)).Status);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stopping = server.StopAsync(stop.Token);
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        Assert.False(await watch.ResponseStream.MoveNext());
        await stopping;
    }

    [Fact]
    public void Settings_default_to_port_50051_h2c_and_4_MiB()
    {
        var s = GrpcEndpointSettings.FromVariables(new Hashtable());
        Assert.Equal(50051, s.Port);
        Assert.Null(s.TlsCertificatePath);
        Assert.Equal(4 * 1024 * 1024, s.MaxReceiveMessageBytes);
        Assert.Null(s.ResponseCompression);
    }

    [Fact]
    public void Settings_read_every_variable()
    {
        var s = GrpcEndpointSettings.FromVariables(new Hashtable
        {
            ["FACEMATCH_PORT"] = "6000",
            ["FACEMATCH_GRPC_MAX_RECEIVE_BYTES"] = "8388608",
            ["FACEMATCH_GRPC_MAX_SEND_BYTES"] = "1048576",
            ["FACEMATCH_GRPC_MAX_CONCURRENT_STREAMS"] = "64",
            ["FACEMATCH_GRPC_COMPRESSION"] = "GZIP",
            ["FACEMATCH_GRPC_SHUTDOWN_SECONDS"] = "3",
            ["FACEMATCH_TLS_CERT"] = "/etc/fm/cert.pem",
            ["FACEMATCH_TLS_KEY"] = "/etc/fm/key.pem",
        });
        Assert.Equal(6000, s.Port);
        Assert.Equal(8 * 1024 * 1024, s.MaxReceiveMessageBytes);
        Assert.Equal(1024 * 1024, s.MaxSendMessageBytes);
        Assert.Equal(64, s.MaxConcurrentStreams);
        Assert.Equal("gzip", s.ResponseCompression);
        Assert.Equal(TimeSpan.FromSeconds(3), s.ShutdownTimeout);
        Assert.Equal("/etc/fm/cert.pem", s.TlsCertificatePath);
    }

    [Theory]
    [InlineData("FACEMATCH_PORT", "70000", "out of range")]
    [InlineData("FACEMATCH_PORT", "http", "not a whole number")]
    [InlineData("FACEMATCH_GRPC_MAX_RECEIVE_BYTES", "0", "out of range")]
    [InlineData("FACEMATCH_GRPC_COMPRESSION", "brotli", "not gzip, deflate or none")]
    [InlineData("FACEMATCH_TLS_CERT", "/only/cert.pem", "needs both")]
    public void Bad_settings_fail_with_the_variable_and_reason(string name, string value, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => GrpcEndpointSettings.FromVariables(new Hashtable { [name] = value }));
        Assert.Contains(reason, e.Message);
        if (name != "FACEMATCH_TLS_CERT") Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Missing_tls_files_are_reported_by_path()
    {
        var s = GrpcEndpointSettings.FromVariables(new Hashtable { ["FACEMATCH_TLS_CERT"] = "/nope/c.pem", ["FACEMATCH_TLS_KEY"] = "/nope/k.pem" });
        var e = Assert.Throws<FileNotFoundException>(() => s.ToHostOptions());
        Assert.Contains("/nope/c.pem", e.Message);
    }

    [Fact]
    public void Facematch_v1_messages_are_generated_from_the_contract()
    {
        var file = FaceMatch.Api.V1.FacematchReflection.Descriptor;
        Assert.Equal("facematch.v1", file.Package);
        Assert.Equal(["FaceMatch", "Admin"], file.Services.Select(s => s.Name));
        Assert.Equal(9, FaceMatch.Api.V1.SessionResult.Descriptor.FindFieldByName("enrolled").FieldNumber);
    }
}
