using FaceMatch.Grpc.Health.V1;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using Google.Protobuf.Reflection;
using ServingStatus = FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Grpc.Services.Health;

/// <summary>
/// grpc.health.v1.Health: a settable status per service name ("" is the whole server). Check answers the
/// current status (NOT_FOUND for a name never set); Watch streams it and every change, SERVICE_UNKNOWN
/// while the name is not set. On shutdown every status turns NOT_SERVING and watches end.
/// </summary>
public sealed class HealthService : GrpcServiceBase
{
    /// <summary>The name that stands for the server as a whole.</summary>
    public const string Server = "";

    private readonly Lock _sync = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();
    private bool _shuttingDown;

    public override ServiceDescriptor Descriptor => HealthReflection.Descriptor.Services[0];

    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_sync)
        {
            if (_shuttingDown) return;
            _statuses[service] = status;
            SignalChange();
        }
    }

    public void ClearStatus(string service)
    {
        lock (_sync)
        {
            if (_statuses.Remove(service)) SignalChange();
        }
    }

    public ServingStatus? GetStatus(string service)
    {
        lock (_sync) return _statuses.TryGetValue(service, out var s) ? s : null;
    }

    /// <summary>Marks everything NOT_SERVING and ends open watches, so a graceful stop is not held up by them.</summary>
    public void EnterShutdown()
    {
        lock (_sync)
        {
            _shuttingDown = true;
            foreach (var key in _statuses.Keys.ToArray()) _statuses[key] = ServingStatus.NotServing;
            SignalChange();
        }
    }

    public Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        var status = GetStatus(request.Service)
            ?? throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
        return Task.FromResult(new HealthCheckResponse { Status = status });
    }

    public async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        ServingStatus? sent = null;
        while (true)
        {
            ServingStatus current;
            Task changed;
            bool last;
            lock (_sync)
            {
                current = _statuses.TryGetValue(request.Service, out var s) ? s : ServingStatus.ServiceUnknown;
                changed = _changed.Task;
                last = _shuttingDown;
            }
            if (current != sent)
            {
                await responses.WriteAsync(new HealthCheckResponse { Status = current }, context.CancellationToken).ConfigureAwait(false);
                sent = current;
            }
            if (last) return;
            await changed.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalChange()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
