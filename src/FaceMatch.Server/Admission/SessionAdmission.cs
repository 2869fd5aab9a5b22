using System.Collections.Concurrent;
using FaceMatch.Server.Observability;

namespace FaceMatch.Server.Admission;

/// <summary>
/// Admits new work (a session, a Compare) before it costs anything: refused while frame analysis is congested, when
/// the server runs <see cref="AdmissionOptions.MaxSessions"/> sessions, or the caller's tenant
/// <see cref="AdmissionOptions.MaxSessionsPerTenant"/> (so one tenant's burst cannot take every slot from the others).
/// A refusal is RESOURCE_EXHAUSTED with a retry hint, and comes at once, so excess load is shed at the door rather
/// than queued in front of the sessions already admitted.
/// </summary>
public sealed class SessionAdmission(AdmissionOptions options, AnalysisGate gate)
{
    private readonly ConcurrentDictionary<string, int> _perTenant = new(StringComparer.Ordinal);
    private int _sessions;

    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Refuses new unary work (Compare) while analysis is congested.</summary>
    public void AdmitCall()
    {
        if (gate.IsCongested) throw Congested();
    }

    /// <summary>Admits one session of <paramref name="tenantId"/>; dispose the lease when it ends.</summary>
    /// <exception cref="Grpc.Core.RpcException">RESOURCE_EXHAUSTED with a retry hint.</exception>
    public Lease AdmitSession(string tenantId)
    {
        if (gate.IsCongested) throw Congested();
        if (Interlocked.Increment(ref _sessions) > options.MaxSessions)
        {
            Interlocked.Decrement(ref _sessions);
            throw Overload.Refuse(Overload.Reason.Sessions, $"server at its limit of {options.MaxSessions} concurrent sessions; retry later");
        }
        if (_perTenant.AddOrUpdate(tenantId, 1, (_, n) => n + 1) > options.MaxSessionsPerTenant)
        {
            Release(tenantId);
            throw Overload.Refuse(Overload.Reason.TenantSessions,
                $"this tenant is at its limit of {options.MaxSessionsPerTenant} concurrent sessions; retry later");
        }
        ServerMetrics.SessionsActive.Inc();
        return new Lease(this, tenantId);
    }

    private Grpc.Core.RpcException Congested() =>
        Overload.Refuse(Overload.Reason.Congested, "server over capacity (frames are queueing); retry later");

    private void Release(string tenantId)
    {
        Interlocked.Decrement(ref _sessions);
        // Remove the tenant's entry when it reaches zero, so the table holds only tenants with sessions running.
        while (true)
        {
            var n = _perTenant[tenantId];
            if (n == 1 ? _perTenant.TryRemove(new KeyValuePair<string, int>(tenantId, 1)) : _perTenant.TryUpdate(tenantId, n - 1, n)) return;
        }
    }

    public sealed class Lease(SessionAdmission admission, string tenantId) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            ServerMetrics.SessionsActive.Dec();
            admission.Release(tenantId);
        }
    }
}
