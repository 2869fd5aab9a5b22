using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client.Configuration;
using FaceMatchService = FaceMatch.Api.V1.FaceMatch;
using AdminService = FaceMatch.Api.V1.Admin;

namespace FaceMatch.Client;

/// <summary>
/// Which calls are retried, and the grpc-dotnet service config that says so. A call is retried only when repeating
/// it leaves the server as one call would: a session is a stream of frames the server acts on as they come, a
/// second CreateTenant makes a second tenant and a second IssueToken a second live token.
/// </summary>
internal static class IdempotentMethods
{
    public static readonly IReadOnlyList<(string Service, string Method)> Retried =
    [
        (FaceMatchService.Descriptor.FullName, "Compare"),
        (FaceMatchService.Descriptor.FullName, "DeleteTemplate"),
        (FaceMatchService.Descriptor.FullName, "ExportTemplate"),
        (AdminService.Descriptor.FullName, "SetPolicy"),
        (AdminService.Descriptor.FullName, "GetPolicy"),
        (AdminService.Descriptor.FullName, "GetUsage"),
        (AdminService.Descriptor.FullName, "ListTenants"),
        (AdminService.Descriptor.FullName, "RevokeToken"),
        (AdminService.Descriptor.FullName, "DeleteTenant"),
        (Health.Descriptor.FullName, "Check"),
    ];

    public static readonly IReadOnlyList<(string Service, string Method)> NeverRetried =
    [
        (FaceMatchService.Descriptor.FullName, "Enroll"),
        (FaceMatchService.Descriptor.FullName, "Authenticate"),
        (FaceMatchService.Descriptor.FullName, "Identify"),
        (AdminService.Descriptor.FullName, "CreateTenant"),
        (AdminService.Descriptor.FullName, "IssueToken"),
        // A server stream that reports as it goes: a retry would repeat what the caller already received.
        (AdminService.Descriptor.FullName, "FindDuplicates"),
    ];

    /// <summary>The channel's service config: one retry policy for <see cref="Retried"/>; null when retries are off.</summary>
    public static ServiceConfig? ServiceConfig(FaceMatchRetryOptions retry)
    {
        if (retry.MaxAttempts == 1) return null;
        var policy = new RetryPolicy
        {
            MaxAttempts = retry.MaxAttempts,
            InitialBackoff = retry.InitialBackoff,
            MaxBackoff = retry.MaxBackoff,
            BackoffMultiplier = retry.BackoffMultiplier,
        };
        foreach (var code in retry.RetryableStatusCodes.Distinct()) policy.RetryableStatusCodes.Add(code);
        var method = new MethodConfig { RetryPolicy = policy };
        foreach (var (service, name) in Retried) method.Names.Add(new MethodName { Service = service, Method = name });
        return new ServiceConfig { MethodConfigs = { method } };
    }
}
