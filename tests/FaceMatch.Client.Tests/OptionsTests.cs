using Grpc.Core;

namespace FaceMatch.Client.Tests;

public sealed class OptionsTests
{
    private static FaceMatchClientOptions At(string address) => new() { Address = new Uri(address) };

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = At("https://facematch.example:50051");
        options.Validate();
        Assert.Equal(TimeSpan.FromSeconds(30), options.CallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), options.SessionTimeout);
        Assert.Equal(4, options.Retry.MaxAttempts);
        Assert.Equal([StatusCode.Unavailable], options.Retry.RetryableStatusCodes);
        Assert.False(options.AllowPlaintext);
        Assert.Equal(2, options.MaxFramesInFlight);
        Assert.Null(options.Token);
    }

    [Theory]
    [InlineData("http://127.0.0.1:50051")]
    [InlineData("http://localhost:50051")]
    [InlineData("http://[::1]:50051")]
    [InlineData("https://10.1.2.3:50051")]
    [InlineData("https://facematch.example")]
    public void Tls_anywhere_and_cleartext_to_loopback_are_accepted(string address) => At(address).Validate();

    [Theory]
    [InlineData("http://10.1.2.3:50051")]
    [InlineData("http://facematch.example:50051")]
    public void Cleartext_to_another_machine_needs_the_explicit_opt_in(string address)
    {
        var e = Assert.Throws<ArgumentException>(() => At(address).Validate());
        Assert.Contains("AllowPlaintext", e.Message);
        new FaceMatchClientOptions { Address = new Uri(address), AllowPlaintext = true }.Validate();
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:50051")]
    [InlineData("unix:/tmp/facematch.sock")]
    public void Other_schemes_are_refused(string address) =>
        Assert.Contains("http://host:port or https://host:port", Assert.Throws<ArgumentException>(() => At(address).Validate()).Message);

    [Theory]
    [InlineData("")]
    [InlineData("fm_has space")]
    [InlineData("fm_line\nbreak")]
    public void A_malformed_token_is_refused_without_being_echoed(string token)
    {
        var e = Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions { Address = new Uri("https://h:1"), Token = token }.Validate());
        Assert.Equal("Token", e.ParamName);
        if (token.Length > 0) Assert.DoesNotContain(token, e.Message);
    }

    [Fact]
    public void Options_never_print_their_token()
    {
        var options = new FaceMatchClientOptions { Address = new Uri("https://h:1"), Token = "fm_secret_token_value" };
        Assert.DoesNotContain("fm_secret_token_value", options.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Timeouts_must_be_positive_or_infinite(int seconds)
    {
        Assert.Equal("CallTimeout", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("https://h:1"), CallTimeout = TimeSpan.FromSeconds(seconds) }.Validate()).ParamName);
        Assert.Equal("SessionTimeout", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("https://h:1"), SessionTimeout = TimeSpan.FromSeconds(seconds) }.Validate()).ParamName);
        new FaceMatchClientOptions { Address = new Uri("https://h:1"), CallTimeout = Timeout.InfiniteTimeSpan, SessionTimeout = Timeout.InfiniteTimeSpan }.Validate();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void Frames_in_flight_are_bounded(int frames) =>
        Assert.Equal("MaxFramesInFlight", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("https://h:1"), MaxFramesInFlight = frames }.Validate()).ParamName);

    [Fact]
    public void A_private_ca_needs_tls()
    {
        using var pki = Support.TestPki.Create();
        var roots = FaceMatchClientOptions.LoadCaCertificates(pki.CaPath);
        Assert.Equal(pki.Ca.Thumbprint, Assert.Single(roots).Thumbprint);
        Assert.Equal("CaCertificates", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("http://127.0.0.1:1"), CaCertificates = roots }.Validate()).ParamName);
        new FaceMatchClientOptions { Address = new Uri("https://127.0.0.1:1"), CaCertificates = roots }.Validate();
    }

    [Fact]
    public void A_server_name_needs_a_private_ca_and_must_be_a_dns_name()
    {
        using var pki = Support.TestPki.Create();
        var roots = FaceMatchClientOptions.LoadCaCertificates(pki.CaPath);
        Assert.Equal("ServerName", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("https://10.0.0.7:1"), ServerName = "facematch-peers.default.svc" }.Validate()).ParamName);
        Assert.Equal("ServerName", Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions
            { Address = new Uri("https://10.0.0.7:1"), CaCertificates = roots, ServerName = "not a name" }.Validate()).ParamName);
        new FaceMatchClientOptions { Address = new Uri("https://10.0.0.7:1"), CaCertificates = roots, ServerName = "facematch-peers.default.svc" }.Validate();
    }

    [Fact]
    public void A_ca_file_without_certificates_is_a_named_error()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a certificate\n");
            Assert.Contains(path, Assert.Throws<ArgumentException>(() => FaceMatchClientOptions.LoadCaCertificates(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<FaceMatchRetryOptions, string> BadRetries => new()
    {
        { new FaceMatchRetryOptions { MaxAttempts = 0 }, "MaxAttempts" },
        { new FaceMatchRetryOptions { MaxAttempts = 11 }, "MaxAttempts" },
        { new FaceMatchRetryOptions { InitialBackoff = TimeSpan.Zero }, "InitialBackoff" },
        { new FaceMatchRetryOptions { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(1) }, "MaxBackoff" },
        { new FaceMatchRetryOptions { BackoffMultiplier = 0.5 }, "BackoffMultiplier" },
        { new FaceMatchRetryOptions { BackoffMultiplier = double.NaN }, "BackoffMultiplier" },
        { new FaceMatchRetryOptions { RetryableStatusCodes = [] }, "RetryableStatusCodes" },
        { new FaceMatchRetryOptions { RetryableStatusCodes = [StatusCode.OK] }, "RetryableStatusCodes" },
    };

    [Theory]
    [MemberData(nameof(BadRetries))]
    public void Bad_retry_settings_are_named(FaceMatchRetryOptions retry, string parameter) =>
        Assert.Equal(parameter, Assert.Throws<ArgumentException>(() => new FaceMatchClientOptions { Address = new Uri("https://h:1"), Retry = retry }.Validate()).ParamName);

    [Fact]
    public void One_attempt_turns_retries_off_whatever_the_rest_says() =>
        new FaceMatchRetryOptions { MaxAttempts = 1, RetryableStatusCodes = [] }.Validate();

    [Fact]
    public void The_clients_check_their_options_when_made()
    {
        Assert.Throws<ArgumentException>(() => new FaceMatchClient(At("http://10.1.2.3:50051")));
        Assert.Throws<ArgumentException>(() => new FaceMatchAdminClient(At("http://10.1.2.3:50051")));
    }
}
