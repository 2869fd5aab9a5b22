using Grpc.Core;
using Grpc.Net.Client.Configuration;
using AdminService = FaceMatch.Api.V1.Admin;
using FaceMatchService = FaceMatch.Api.V1.FaceMatch;

namespace FaceMatch.Client.Tests;

/// <summary>Which calls the channel's service config retries, and with what.</summary>
public sealed class RetryPolicyTests
{
    [Fact]
    public void Every_rpc_of_the_contract_is_either_retried_or_never_retried_by_decision()
    {
        var all = FaceMatchService.Descriptor.Methods.Concat(AdminService.Descriptor.Methods)
            .Select(m => (m.Service.FullName, m.Name)).ToHashSet();
        var retried = IdempotentMethods.Retried.Where(m => m.Service != Grpc.Health.V1.Health.Descriptor.FullName).ToHashSet();
        var never = IdempotentMethods.NeverRetried.ToHashSet();

        Assert.Empty(retried.Intersect(never));
        // A new RPC fails here until someone decides whether repeating it is safe.
        Assert.Equal(all.Order(), retried.Union(never).Order());
    }

    [Fact]
    public void No_stream_is_retried()
    {
        var streams = FaceMatchService.Descriptor.Methods.Where(m => m.IsClientStreaming || m.IsServerStreaming).Select(m => m.Name).ToList();
        Assert.Equal(["Enroll", "Authenticate", "Identify"], streams);
        Assert.DoesNotContain(IdempotentMethods.Retried, m => streams.Contains(m.Method));
    }

    [Fact]
    public void The_service_config_carries_the_options()
    {
        var config = IdempotentMethods.ServiceConfig(new FaceMatchRetryOptions
        {
            MaxAttempts = 5,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromSeconds(1),
            BackoffMultiplier = 1.5,
            RetryableStatusCodes = [StatusCode.Unavailable, StatusCode.ResourceExhausted, StatusCode.Unavailable],
        })!;

        var method = Assert.Single(config.MethodConfigs);
        var policy = method.RetryPolicy!;
        Assert.Equal(5, policy.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(50), policy.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(1), policy.MaxBackoff);
        Assert.Equal(1.5, policy.BackoffMultiplier);
        Assert.Equal([StatusCode.Unavailable, StatusCode.ResourceExhausted], policy.RetryableStatusCodes);
        Assert.Equal(IdempotentMethods.Retried.Select(m => $"{m.Service}/{m.Method}"), method.Names.Select(n => $"{n.Service}/{n.Method}"));
        Assert.Null(method.HedgingPolicy);
    }

    [Fact]
    public void One_attempt_means_no_policy_at_all() =>
        Assert.Null(IdempotentMethods.ServiceConfig(new FaceMatchRetryOptions { MaxAttempts = 1 }));
}
