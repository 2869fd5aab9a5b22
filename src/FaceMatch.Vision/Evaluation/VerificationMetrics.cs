namespace FaceMatch.Vision.Evaluation;

/// <summary>
/// Accuracy of a verifier from the scores of genuine pairs (same person) and impostor pairs
/// (different people). Higher score means more alike; a pair is accepted when score ≥ threshold.
/// </summary>
public sealed record VerificationMetrics(
    double Auc,
    double Eer,
    double EerThreshold,
    double TarAtFar1e2,
    double ThresholdAtFar1e2,
    double TarAtFar1e3,
    double ThresholdAtFar1e3,
    int GenuinePairs,
    int ImpostorPairs)
{
    public static VerificationMetrics Compute(IReadOnlyList<double> genuine, IReadOnlyList<double> impostor)
    {
        if (genuine.Count == 0 || impostor.Count == 0)
            throw new ArgumentException("metrics need at least one genuine and one impostor pair");
        var gen = genuine.Order().ToArray();
        var imp = impostor.OrderDescending().ToArray();
        var (eer, eerThreshold) = EqualErrorRate(gen, imp);
        var (tar2, t2) = TarAtFar(gen, imp, 1e-2);
        var (tar3, t3) = TarAtFar(gen, imp, 1e-3);
        return new VerificationMetrics(AreaUnderCurve(gen, imp), eer, eerThreshold, tar2, t2, tar3, t3, gen.Length, imp.Length)
        {
            DPrime = Decidability(gen, imp),
        };
    }

    /// <summary>
    /// Decidability d′ = |μg − μi| / √((σg² + σi²) / 2): how many pooled standard deviations apart the genuine and
    /// impostor score distributions sit. It keeps separating verifiers once AUC is at its ceiling of 1.
    /// </summary>
    public double DPrime { get; init; }

    internal static double Decidability(IReadOnlyCollection<double> genuine, IReadOnlyCollection<double> impostor)
    {
        static (double Mean, double Variance) Moments(IReadOnlyCollection<double> x)
        {
            var mean = x.Average();
            return (mean, x.Count < 2 ? 0 : x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
        }
        var (mg, vg) = Moments(genuine);
        var (mi, vi) = Moments(impostor);
        var pooled = Math.Sqrt((vg + vi) / 2);
        return pooled > 0 ? Math.Abs(mg - mi) / pooled : double.PositiveInfinity;
    }

    /// <summary>TAR and threshold at any false-accept rate (see <see cref="TarAtFar(double[], double[], double)"/>).</summary>
    public static (double Tar, double Threshold) AtFar(IReadOnlyList<double> genuine, IReadOnlyList<double> impostor, double far) =>
        TarAtFar(genuine.Order().ToArray(), impostor.OrderDescending().ToArray(), far);

    /// <summary>P(genuine score &gt; impostor score), ties counting one half (Mann–Whitney U / (n·m)).</summary>
    internal static double AreaUnderCurve(double[] genAscending, double[] impDescending)
    {
        var imp = impDescending.Reverse().ToArray();
        double wins = 0;
        int below = 0, upTo = 0;
        foreach (var g in genAscending)
        {
            while (below < imp.Length && imp[below] < g) below++;
            upTo = Math.Max(upTo, below);
            while (upTo < imp.Length && imp[upTo] <= g) upTo++;
            wins += below + 0.5 * (upTo - below);
        }
        return wins / ((double)genAscending.Length * imp.Length);
    }

    /// <summary>
    /// The operating point where the false-accept and false-reject rates meet, searched over every
    /// distinct score as a threshold; returns their mean there and that threshold.
    /// </summary>
    internal static (double Eer, double Threshold) EqualErrorRate(double[] genAscending, double[] impDescending)
    {
        var thresholds = genAscending.Concat(impDescending).Distinct().Order().ToArray();
        double best = double.MaxValue, eer = 1, at = thresholds[0];
        foreach (var t in thresholds)
        {
            var frr = CountBelow(genAscending, t) / (double)genAscending.Length;
            var far = CountAtLeast(impDescending, t) / (double)impDescending.Length;
            if (Math.Abs(far - frr) < best) { best = Math.Abs(far - frr); eer = (far + frr) / 2; at = t; }
        }
        return (eer, at);
    }

    /// <summary>
    /// The lowest threshold whose false-accept rate is at most <paramref name="far"/>, and the
    /// genuine pairs accepted there. With n impostors, at most floor(far·n) may be accepted.
    /// </summary>
    internal static (double Tar, double Threshold) TarAtFar(double[] genAscending, double[] impDescending, double far)
    {
        var allowed = (int)Math.Floor(far * impDescending.Length);
        // Accept strictly above the first impostor score that must be rejected.
        var threshold = allowed < impDescending.Length ? Math.BitIncrement(impDescending[allowed]) : double.NegativeInfinity;
        var accepted = genAscending.Length - CountBelow(genAscending, threshold);
        return (accepted / (double)genAscending.Length, threshold);
    }

    private static int CountBelow(double[] ascending, double t)
    {
        var i = Array.BinarySearch(ascending, t);
        if (i < 0) return ~i;
        while (i > 0 && ascending[i - 1] == t) i--;
        return i;
    }

    private static int CountAtLeast(double[] descending, double t)
    {
        var n = 0;
        foreach (var s in descending) { if (s >= t) n++; else break; }
        return n;
    }
}
