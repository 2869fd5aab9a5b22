using System.Collections.Concurrent;
using FaceMatch.Api.V1;
using FaceMatch.Server.Hosting;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using FaceMatchBase = FaceMatch.Api.V1.FaceMatch.FaceMatchBase;

namespace FaceMatch.Client.Tests.Support;

/// <summary>
/// What the scripted services do: fail a method's next attempts with a chosen status, and record every attempt's
/// authorization header and deadline. The one way to see a client's retries is a server that refuses on cue.
/// </summary>
public sealed class CallScript
{
    private readonly ConcurrentDictionary<string, (int Count, StatusCode Status)> _failures = new();
    private readonly ConcurrentQueue<Attempt> _attempts = new();

    public sealed record Attempt(string Method, string? Authorization, DateTime Deadline);

    public void FailNext(string method, int count, StatusCode status) => _failures[method] = (count, status);

    /// <summary>Feedback messages the scripted Identify has begun to send (counted before each is written).</summary>
    public int Answered => Volatile.Read(ref _answered);
    private int _answered;
    internal void CountAnswer() => Interlocked.Increment(ref _answered);

    public IReadOnlyList<Attempt> Attempts(string method) => _attempts.Where(a => a.Method == method).ToList();

    /// <summary>Records the attempt; throws the scripted status while failures remain for the method.</summary>
    public void Enter(string method, ServerCallContext context)
    {
        _attempts.Enqueue(new Attempt(method, context.RequestHeaders.GetValue("authorization"), context.Deadline));
        if (_failures.TryGetValue(method, out var failure) && failure.Count > 0)
        {
            _failures[method] = (failure.Count - 1, failure.Status);
            throw new RpcException(new Status(failure.Status, "scripted failure"));
        }
    }
}

/// <summary>facematch.v1.FaceMatch on cue: Compare answers the images' lengths; a session answers each frame, then a result.</summary>
public sealed class ScriptedFaceMatch(CallScript script) : FaceMatchBase
{
    public override Task<CompareResponse> Compare(CompareRequest request, ServerCallContext context)
    {
        script.Enter(nameof(Compare), context);
        return Task.FromResult(new CompareResponse { Score = request.ImageA.Length + request.ImageB.Length, Match = true, Threshold = 0.5f });
    }

    public override Task<DeleteTemplateResponse> DeleteTemplate(TemplateRef request, ServerCallContext context)
    {
        script.Enter(nameof(DeleteTemplate), context);
        return Task.FromResult(new DeleteTemplateResponse { Deleted = true });
    }

    public override async Task Enroll(IAsyncStreamReader<SessionRequest> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context)
    {
        script.Enter(nameof(Enroll), context);
        uint frames = 0;
        while (await requestStream.MoveNext(context.CancellationToken))
            if (requestStream.Current.KindCase == SessionRequest.KindOneofCase.Frame)
                await responseStream.WriteAsync(new SessionEvent { Feedback = new FrameFeedback { FrameIndex = frames++, FaceFound = true } });
        await responseStream.WriteAsync(new SessionEvent { Result = new SessionResult { Enrolled = true, TemplateId = "scripted" } });
    }

    /// <summary>A slow analyser: each frame is answered a little after it is read, one at a time.</summary>
    public override async Task Identify(IAsyncStreamReader<SessionRequest> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context)
    {
        script.Enter(nameof(Identify), context);
        uint frames = 0;
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            if (requestStream.Current.KindCase != SessionRequest.KindOneofCase.Frame) continue;
            await Task.Delay(20, context.CancellationToken);
            script.CountAnswer();
            await responseStream.WriteAsync(new SessionEvent { Feedback = new FrameFeedback { FrameIndex = frames++ } });
        }
        await responseStream.WriteAsync(new SessionEvent { Result = new SessionResult() });
    }
}

/// <summary>facematch.v1.Admin on cue.</summary>
public sealed class ScriptedAdmin(CallScript script) : Admin.AdminBase
{
    public override Task<Tenant> CreateTenant(CreateTenantRequest request, ServerCallContext context)
    {
        script.Enter(nameof(CreateTenant), context);
        return Task.FromResult(new Tenant { TenantId = "t1", Name = request.Name });
    }

    public override Task<IssuedToken> IssueToken(IssueTokenRequest request, ServerCallContext context)
    {
        script.Enter(nameof(IssueToken), context);
        return Task.FromResult(new IssuedToken { Token = "scripted", TokenId = "k1", Mode = request.Mode });
    }

    public override Task<Tenant> SetPolicy(SetPolicyRequest request, ServerCallContext context)
    {
        script.Enter(nameof(SetPolicy), context);
        return Task.FromResult(new Tenant { TenantId = request.TenantId, Policy = request.Policy });
    }
}

/// <summary>The product host (<see cref="FaceMatchServer"/>) on a free loopback port, serving the scripted services.</summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly FaceMatchServer _server;

    private ScriptedServer(FaceMatchServer server) => _server = server;

    public CallScript Script => _server.Services.GetRequiredService<CallScript>();
    public Uri Address => _server.LocalAddress;

    public static async Task<ScriptedServer> StartAsync()
    {
        var server = FaceMatchServer.Create(new ServerSettings { Port = 0, MetricsPort = 0, ShutdownTimeout = TimeSpan.FromSeconds(2) },
            c => c.ConfigureServices(s => s.AddSingleton<CallScript>().AddSingleton<ScriptedFaceMatch>().AddSingleton<ScriptedAdmin>())
                .MapService<ScriptedFaceMatch>().MapService<ScriptedAdmin>());
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.StartAsync(startup.Token);
        server.MarkServing();
        return new ScriptedServer(server);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _server.StopAsync(stop.Token); }
        finally { await _server.DisposeAsync(); }
    }
}
