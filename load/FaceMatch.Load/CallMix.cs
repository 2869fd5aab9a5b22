namespace FaceMatch.Load;

/// <summary>What one call of a load run is: the three session kinds, Compare, and the health check.</summary>
public enum CallKind { Enroll, Authenticate, Identify, Compare, Health }

public static class CallKinds
{
    /// <summary>The name a kind has on the command line and in reports.</summary>
    public static string Name(this CallKind kind) => kind.ToString().ToLowerInvariant();

    public static bool IsSession(this CallKind kind) => kind is CallKind.Enroll or CallKind.Authenticate or CallKind.Identify;

    public static CallKind Parse(string name)
    {
        foreach (var kind in Enum.GetValues<CallKind>())
            if (kind.Name() == name.Trim().ToLowerInvariant()) return kind;
        throw new ArgumentException($"'{name}' is not a call kind ({string.Join(", ", Enum.GetValues<CallKind>().Select(Name))})");
    }
}

/// <summary>
/// How often each kind of call is drawn, by weight (<c>enroll=1,authenticate=6,identify=2,compare=1</c>): call i of a
/// run is drawn from its own hash of (seed, i), so a run's sequence of calls is the same whatever the mode, the
/// concurrency or the timing.
/// </summary>
public sealed class CallMix
{
    private readonly (CallKind Kind, int Weight)[] _weights;
    private readonly int _total;

    private CallMix((CallKind, int)[] weights)
    {
        _weights = weights;
        _total = weights.Sum(w => w.Item2);
    }

    /// <summary>An SDK-like day: mostly logins, some searches, a few sign-ups and comparisons.</summary>
    public static CallMix Default { get; } = Parse("enroll=1,authenticate=6,identify=2,compare=1");

    public static CallMix HealthOnly { get; } = Parse("health=1");

    public IEnumerable<CallKind> Kinds => _weights.Select(w => w.Kind);

    /// <summary>Any call but the health check needs a tenant (and so the admin token) and photos.</summary>
    public bool NeedsTenant => Kinds.Any(k => k != CallKind.Health);

    public static CallMix Parse(string text)
    {
        var weights = new List<(CallKind, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, weight) = part.Split('=') is [var n, var w] ? (n, w) : throw new ArgumentException($"--mix: '{part}' is not kind=weight");
            var kind = CallKinds.Parse(name);
            if (!int.TryParse(weight, out var value) || value is < 0 or > 1_000_000)
                throw new ArgumentException($"--mix: the weight of {name} must be a whole number 0..1000000");
            if (weights.Any(x => x.Item1 == kind)) throw new ArgumentException($"--mix names {name} twice");
            if (value > 0) weights.Add((kind, value));
        }
        return weights.Count > 0 ? new CallMix([.. weights]) : throw new ArgumentException("--mix needs at least one kind with a weight above 0");
    }

    /// <summary>The kind that <paramref name="draw"/> (uniform in [0, 1)) lands on.</summary>
    public CallKind Pick(double draw)
    {
        var point = draw * _total;
        foreach (var (kind, weight) in _weights)
        {
            if (point < weight) return kind;
            point -= weight;
        }
        return _weights[^1].Kind;
    }

    public override string ToString() => string.Join(',', _weights.Select(w => $"{w.Kind.Name()}={w.Weight}"));
}
