using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// Whether the server may take work: NOT_SERVING while it starts (models loading, vault recovering), SERVING once
/// the composition root says everything is ready, NOT_SERVING again from the moment a stop begins. gRPC health
/// reads it as an ASP.NET Core health check (Check evaluates it on each call); the transitions are also pushed
/// to the health service at once so that Watch streams see them without waiting for the next publish.
/// </summary>
public sealed class ServerReadiness(HealthServiceImpl health) : IHealthCheck
{
    private volatile bool _serving;
    private volatile bool _stopping;

    public bool IsServing => _serving && !_stopping;
    public bool IsStopping => _stopping;

    public void MarkServing()
    {
        _serving = true;
        if (!_stopping) health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
    }

    public void MarkStopping()
    {
        _stopping = true;
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            _stopping ? HealthCheckResult.Unhealthy("stopping")
            : _serving ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("starting"));
}
