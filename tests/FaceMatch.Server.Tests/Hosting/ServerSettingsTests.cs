using System.Collections;
using System.Net;
using FaceMatch.Server.Hosting;

namespace FaceMatch.Server.Tests.Hosting;

public sealed class ServerSettingsTests
{
    [Fact]
    public void Defaults_are_loopback_h2c_on_50051_metrics_on_9464_and_4_MiB_messages()
    {
        var s = ServerSettings.FromVariables(new Hashtable());
        Assert.Equal(50051, s.Port);
        Assert.Equal(9464, s.MetricsPort);
        Assert.True(s.Bind.IsLoopback);
        Assert.False(s.IsTls);
        Assert.False(s.AllowPlaintext);
        Assert.Equal(4 * 1024 * 1024, s.MaxReceiveMessageBytes);
        Assert.Null(s.ResponseCompression);
        Assert.Equal(TimeSpan.FromMinutes(5), s.MaxCallDuration);
        Assert.Null(s.HttpPort);
        Assert.Empty(s.AllowedOrigins);
        s.EnsureTransportIsSafe();
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var s = ServerSettings.FromVariables(new Hashtable
        {
            ["FACEMATCH_PORT"] = "6000",
            ["FACEMATCH_BIND"] = "0.0.0.0",
            ["FACEMATCH_ALLOW_PLAINTEXT"] = "true",
            ["FACEMATCH_METRICS_PORT"] = "6001",
            ["FACEMATCH_GRPC_MAX_RECEIVE_BYTES"] = "8388608",
            ["FACEMATCH_GRPC_MAX_SEND_BYTES"] = "1048576",
            ["FACEMATCH_GRPC_MAX_CONCURRENT_STREAMS"] = "64",
            ["FACEMATCH_MAX_CONNECTIONS"] = "50",
            ["FACEMATCH_MAX_CALL_SECONDS"] = "120",
            ["FACEMATCH_GRPC_COMPRESSION"] = "GZIP",
            ["FACEMATCH_GRPC_SHUTDOWN_SECONDS"] = "3",
            ["FACEMATCH_TLS_CERT"] = "/etc/fm/cert.pem",
            ["FACEMATCH_TLS_KEY"] = "/etc/fm/key.pem",
            ["FACEMATCH_HTTP_PORT"] = "6002",
            ["FACEMATCH_HTTP_ALLOWED_ORIGINS"] = "https://Console.Example.com, http://10.0.0.5:8080/ ,https://a.example:443",
        });
        Assert.Equal(6002, s.HttpPort);
        // As browsers send them: lower-case host, no trailing slash, default ports left out.
        Assert.Equal(["https://console.example.com", "http://10.0.0.5:8080", "https://a.example"], s.AllowedOrigins);
        Assert.Equal(6000, s.Port);
        Assert.Equal(IPAddress.Any, s.Bind.Address);
        Assert.True(s.AllowPlaintext);
        Assert.Equal(6001, s.MetricsPort);
        Assert.Equal(8 * 1024 * 1024, s.MaxReceiveMessageBytes);
        Assert.Equal(1024 * 1024, s.MaxSendMessageBytes);
        Assert.Equal(64, s.MaxConcurrentStreams);
        Assert.Equal(50, s.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(120), s.MaxCallDuration);
        Assert.Equal("gzip", s.ResponseCompression);
        Assert.Equal(TimeSpan.FromSeconds(3), s.ShutdownTimeout);
        Assert.Equal("/etc/fm/cert.pem", s.TlsCertificatePath);
        Assert.True(s.IsTls);
    }

    [Theory]
    [InlineData("FACEMATCH_PORT", "70000", "out of range")]
    [InlineData("FACEMATCH_PORT", "http", "not a whole number")]
    [InlineData("FACEMATCH_METRICS_PORT", "-1", "out of range")]
    [InlineData("FACEMATCH_GRPC_MAX_RECEIVE_BYTES", "0", "out of range")]
    [InlineData("FACEMATCH_GRPC_COMPRESSION", "brotli", "not gzip or none")]
    [InlineData("FACEMATCH_BIND", "example.com", "not an IP address")]
    [InlineData("FACEMATCH_ALLOW_PLAINTEXT", "sure", "not true or false")]
    [InlineData("FACEMATCH_MAX_CALL_SECONDS", "0", "out of range")]
    [InlineData("FACEMATCH_HTTP_PORT", "65536", "out of range")]
    [InlineData("FACEMATCH_HTTP_ALLOWED_ORIGINS", "https://ok.example,console.example", "'console.example' is not an origin")]
    [InlineData("FACEMATCH_HTTP_ALLOWED_ORIGINS", "https://ok.example/console/", "is not an origin")]
    [InlineData("FACEMATCH_HTTP_ALLOWED_ORIGINS", "ftp://files.example", "is not an origin")]
    public void Bad_values_fail_with_the_variable_and_the_reason(string name, string value, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ServerSettings.FromVariables(new Hashtable { [name] = value }));
        Assert.Contains(reason, e.Message);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Tls_needs_both_files()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerSettings.FromVariables(new Hashtable { ["FACEMATCH_TLS_CERT"] = "/only/cert.pem" }));
        Assert.Contains("needs both", e.Message);
    }

    [Fact]
    public void The_two_endpoints_need_two_ports()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerSettings.FromVariables(new Hashtable { ["FACEMATCH_PORT"] = "7000", ["FACEMATCH_METRICS_PORT"] = "7000" }));
        Assert.Contains("two ports", e.Message);
        foreach (var other in new[] { "FACEMATCH_PORT", "FACEMATCH_METRICS_PORT" })
        {
            var clash = Assert.Throws<ArgumentException>(() => ServerSettings.FromVariables(new Hashtable { [other] = "7001", ["FACEMATCH_HTTP_PORT"] = "7001" }));
            Assert.Contains($"FACEMATCH_HTTP_PORT=7001 is also {other}", clash.Message);
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.0.2.10")]
    public void Cleartext_off_loopback_is_refused_without_tls_or_the_opt_in(string bind)
    {
        var s = ServerSettings.FromVariables(new Hashtable { ["FACEMATCH_BIND"] = bind });
        var e = Assert.Throws<ArgumentException>(s.EnsureTransportIsSafe);
        Assert.Contains("FACEMATCH_TLS_CERT", e.Message);
        Assert.Contains("FACEMATCH_ALLOW_PLAINTEXT=true", e.Message);
        // FaceMatchServer.Create refuses it the same way, before anything listens.
        Assert.Throws<ArgumentException>(() => FaceMatchServer.Create(s with { Port = 0, MetricsPort = 0 }));

        // The HTTP port listens on the same address under the same rule.
        Assert.Throws<ArgumentException>((s with { HttpPort = 8080 }).EnsureTransportIsSafe);
        (s with { AllowPlaintext = true }).EnsureTransportIsSafe();
        Assert.True((s with { AllowPlaintext = true }).ServesPlaintextOffLoopback);
        (s with { TlsCertificatePath = "c.pem", TlsKeyPath = "k.pem" }).EnsureTransportIsSafe();
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost")]
    [InlineData("127.0.0.2")]
    public void Loopback_binds_serve_cleartext(string bind)
    {
        var s = ServerSettings.FromVariables(new Hashtable { ["FACEMATCH_BIND"] = bind });
        Assert.True(s.Bind.IsLoopback);
        s.EnsureTransportIsSafe();
        Assert.False(s.ServesPlaintextOffLoopback);
    }

    [Fact]
    public void Facematch_v1_is_generated_from_the_contract()
    {
        var file = FaceMatch.Api.V1.FacematchReflection.Descriptor;
        Assert.Equal("facematch.v1", file.Package);
        Assert.Equal(["FaceMatch", "Admin"], file.Services.Select(s => s.Name));
        Assert.Equal(9, FaceMatch.Api.V1.SessionResult.Descriptor.FindFieldByName("enrolled").FieldNumber);
    }
}
