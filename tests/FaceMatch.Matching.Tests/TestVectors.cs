using FaceMatch.Matching.Galleries;

namespace FaceMatch.Matching.Tests;

/// <summary>Seeded random embeddings and a naive (double precision, brute force) reference search.</summary>
internal static class TestVectors
{
    public static float[] Gaussian(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return v;
    }

    public static float[] Unit(Random rng, int d) => Normalize(Gaussian(rng, d));

    public static float[] Normalize(float[] v)
    {
        double s = 0;
        foreach (var x in v) s += (double)x * x;
        float inv = (float)(1 / Math.Sqrt(s));
        return v.Select(x => x * inv).ToArray();
    }

    /// <summary>A genuine-looking probe: the enrolled vector plus noise, renormalised.</summary>
    public static float[] Near(Random rng, float[] v, float noise)
    {
        var g = Gaussian(rng, v.Length);
        return Normalize(v.Select((x, i) => x + noise * g[i] / MathF.Sqrt(v.Length)).ToArray());
    }

    public static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Brute-force top-k over (id, vector) in insertion order; ties keep insertion order.</summary>
    public static (string Id, double Score)[] NaiveTopK(IReadOnlyList<(string Id, float[] Vector)> live, float[] query, int k,
        double minScore = double.NegativeInfinity)
    {
        var q = Normalize(query);
        return live.Select((e, i) => (e.Id, Score: Dot(Normalize(e.Vector), q), Index: i))
            .Where(e => e.Score >= minScore)
            .OrderByDescending(e => e.Score).ThenBy(e => e.Index)
            .Take(k).Select(e => (e.Id, e.Score)).ToArray();
    }

    /// <summary>
    /// Asserts <paramref name="actual"/> is a correct top-k: same length as the reference, scores equal position by
    /// position within <paramref name="tolerance"/>, and each returned id's true score matches what was reported.
    /// (Ids may differ only where true scores are within the tolerance of each other.)
    /// </summary>
    public static void AssertTopK((string Id, double Score)[] expected, IReadOnlyList<Match> actual,
        IReadOnlyDictionary<string, float[]> vectors, float[] query, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Count);
        var q = Normalize(query);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= tolerance,
                $"rank {i}: expected score {expected[i].Score} ({expected[i].Id}), got {actual[i].Score} ({actual[i].Id})");
            double trueScore = Dot(Normalize(vectors[actual[i].Id]), q);
            Assert.True(Math.Abs(trueScore - actual[i].Score) <= tolerance,
                $"rank {i}: {actual[i].Id} reported {actual[i].Score}, true score {trueScore}");
        }
        Assert.Equal(actual.Count, actual.Select(m => m.Id).Distinct().Count());
    }
}
