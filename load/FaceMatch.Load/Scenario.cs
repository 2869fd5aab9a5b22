using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;

namespace FaceMatch.Load;

/// <summary>
/// What each call of a run sends, and sending it. Set-up makes the run its own tenant (ADVISORY liveness, so the
/// replayed photos are scored but not refused), or uses the one of <see cref="LoadOptions.Token"/>, and when the mix
/// has Authenticate or Identify enrols <see cref="LoadOptions.Templates"/> photos of different people, so
/// Authenticate has templates to check and Identify a gallery to search. Tear-down deletes the run's tenant, or the
/// templates it enrolled in the given one. Call i's kind and photos come
/// from a hash of (seed, i): Enroll and Identify send a random photo, Authenticate a random photo of an enrolled
/// person against that person's template, Compare two random photos. A session sends its photo as
/// <see cref="LoadOptions.Frames"/> frames, one every <see cref="LoadOptions.FrameInterval"/>, then half-closes.
/// </summary>
public sealed class Scenario
{
    private readonly ScenarioCalls _calls;
    private readonly LoadOptions _options;
    private readonly PhotoSet? _photos;
    private readonly List<(string TemplateId, Person Person)> _targets = [];
    // Templates enrolled in a tenant the run did not make, erased at the end.
    private readonly System.Collections.Concurrent.ConcurrentBag<string> _enrolled = [];
    private string? _tenantId;

    private Scenario(ScenarioCalls calls, LoadOptions options, PhotoSet? photos)
    {
        _calls = calls;
        _options = options;
        _photos = photos;
    }

    public int Targets => _targets.Count;

    /// <exception cref="LoadSetupException">the tenant could not be made, or no photo could be enrolled.</exception>
    public static async Task<Scenario> PrepareAsync(ScenarioCalls calls, LoadOptions options, CancellationToken cancellationToken)
    {
        if (!options.Mix.NeedsTenant) return new Scenario(calls, options, null);
        var scenario = new Scenario(calls, options, PhotoSet.Load(options.PhotosDirectory!));
        if (options.Token is { } token)
        {
            calls.UseTenantToken(token);
        }
        else
        {
            try
            {
                scenario._tenantId = await calls.CreateTenantAsync(options.AdminToken!, $"facematch-load {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}", cancellationToken);
            }
            catch (RpcException e)
            {
                throw new LoadSetupException($"creating the run's tenant: {e.StatusCode}: {e.Status.Detail}", e);
            }
        }
        if (options.Mix.Kinds.Any(k => k is CallKind.Authenticate or CallKind.Identify)) await scenario.EnrollTargetsAsync(cancellationToken);
        return scenario;
    }

    private async Task EnrollTargetsAsync(CancellationToken cancellationToken)
    {
        var people = _photos!.People;
        var failures = new List<string>();
        for (var k = 0; k < _options.Templates; k++)
        {
            var person = people[k % people.Count];
            var photo = person.Photos[k / people.Count % person.Photos.Count];
            for (var attempt = 0; ; attempt++)
            {
                var outcome = await _calls.SessionAsync(CallKind.Enroll, null, Frames(photo, TimeSpan.Zero, null), _ => { }, cancellationToken);
                // The server may be busy with other work; its retry hint says when to come back.
                if (outcome.Status == CallOutcome.ResourceExhausted && attempt < 10)
                {
                    await Task.Delay(500, cancellationToken);
                    continue;
                }
                if (outcome.Ok && outcome.SessionReason == "" && outcome.TemplateId is { Length: > 0 } id)
                {
                    _targets.Add((id, person));
                    Enrolled(outcome);
                }
                else failures.Add($"{person.Name}: {(outcome.Ok ? outcome.SessionReason : outcome.Status)}");
                break;
            }
        }
        if (_targets.Count == 0 && _options.Mix.Kinds.Any(k => k is CallKind.Authenticate))
            throw new LoadSetupException($"no photo could be enrolled as a target for Authenticate ({string.Join(", ", failures)})");
    }

    /// <summary>Deletes the run's tenant (what it enrolled goes with it), or what it enrolled in the given tenant, unless the options keep it.</summary>
    public async Task TearDownAsync(CancellationToken cancellationToken)
    {
        if (_options.KeepData) return;
        try
        {
            if (_tenantId is not null) await _calls.DeleteTenantAsync(_options.AdminToken!, _tenantId, cancellationToken);
            else
                foreach (var id in _enrolled.Distinct())
                {
                    try { await _calls.DeleteTemplateAsync(id, cancellationToken); }
                    catch (RpcException e) when (e.StatusCode == StatusCode.NotFound) { }
                }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException) { /* the server went away; nothing else to clean */ }
    }

    private void Enrolled(CallOutcome outcome)
    {
        if (_tenantId is null && outcome is { Ok: true, SessionReason: "", TemplateId: { Length: > 0 } id }) _enrolled.Add(id);
    }

    /// <summary>Sends call <paramref name="index"/> of kind <paramref name="kind"/>; session frames go into <paramref name="book"/>.</summary>
    public Task<CallOutcome> RunAsync(long index, CallKind kind, LatencyBook book, CancellationToken cancellationToken)
    {
        var draw = new Draws(_options.Seed, index);
        draw.Next();   // the kind's draw (CallMix)
        switch (kind)
        {
            case CallKind.Health:
                return _calls.HealthAsync(cancellationToken);
            case CallKind.Compare:
                return _calls.CompareAsync(Pick(_photos!.All, draw.Next()), Pick(_photos.All, draw.Next()), cancellationToken);
            default:
                string? templateId = null;
                var photo = Pick(_photos!.All, draw.Next());
                if (kind == CallKind.Authenticate)
                {
                    var target = Pick(_targets, draw.Next());
                    (templateId, photo) = (target.TemplateId, Pick(target.Person.Photos, draw.Next()));
                }
                var sentAt = new long[_options.Frames];
                return SessionAsync(kind, templateId, Frames(photo, _options.FrameInterval, sentAt), i =>
                {
                    if (i >= 0 && i < sentAt.Length && sentAt[i] != 0) book.RecordFrame(Stopwatch.GetElapsedTime(sentAt[i]));
                }, cancellationToken);
        }
    }

    private async Task<CallOutcome> SessionAsync(CallKind kind, string? templateId, IAsyncEnumerable<PacedFrame> frames, Action<int> onFeedback,
        CancellationToken cancellationToken)
    {
        var outcome = await _calls.SessionAsync(kind, templateId, frames, onFeedback, cancellationToken);
        if (kind == CallKind.Enroll) Enrolled(outcome);
        return outcome;
    }

    /// <summary>The kind of call <paramref name="index"/>.</summary>
    public static CallKind KindOf(LoadOptions options, long index) => options.Mix.Pick(new Draws(options.Seed, index).Next());

    /// <summary>
    /// A camera's frames: <paramref name="photo"/> <see cref="LoadOptions.Frames"/> times, frame i due
    /// <paramref name="interval"/> × i after the first; each frame's send time goes into <paramref name="sentAt"/>.
    /// </summary>
    private async IAsyncEnumerable<PacedFrame> Frames(byte[] photo, TimeSpan interval, long[]? sentAt,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var first = Stopwatch.GetTimestamp();
        for (var i = 0; i < _options.Frames; i++)
        {
            var wait = interval * i - Stopwatch.GetElapsedTime(first);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            if (sentAt is not null) sentAt[i] = Stopwatch.GetTimestamp();
            yield return new PacedFrame(photo, interval * i);
        }
    }

    private static T Pick<T>(IReadOnlyList<T> items, double draw) => items[Math.Min(items.Count - 1, (int)(draw * items.Count))];

    /// <summary>Uniform draws in [0, 1) from (seed, index) alone: SplitMix64, so no state is shared between calls.</summary>
    private struct Draws(int seed, long index)
    {
        private ulong _state = ((ulong)(uint)seed << 40) ^ (ulong)index * 0x9E3779B97F4A7C15UL;

        public double Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
        }
    }
}
